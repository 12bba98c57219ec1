/**
 * The run directory:
 *
 *   prefopt-run.json            marks the directory as a prefopt run (training writes nowhere else)
 *   prefopt.lock                pid of the process training in it (while it runs)
 *   config.json                 the resolved config
 *   config-history.jsonl        every config the run was started or resumed with
 *   metrics.jsonl               one line per logging step and per evaluation
 *   checkpoints/step-000010/    model directory (config.json, model.safetensors, tokenizer files),
 *                               or under LoRA an adapter directory (adapter_config.json,
 *                               adapter_model.safetensors), + optimizer.safetensors + trainer_state.json
 *   model/                      the final model directory (under LoRA: the PEFT adapter), with README.md
 *   plots/                      loss, rewards, margins, accuracy, log-prob and drift curves (SVG)
 *   reference-cache/            precomputed reference log-probs (train.precomputeReference)
 *
 * Every checkpoint is written under a temporary name and renamed into place, so a kill during a
 * write leaves the previous checkpoints intact and never a half-written one under a real name.
 */
import { appendFile, readdir, readFile, realpath, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { PrefoptConfig } from '../config/types.ts';
import { makeDirectory, removeLeftoverTemps, writeDirAtomic, writeFileAtomic } from '../io/atomic.ts';
import { fileError } from '../io/fs-errors.ts';
import { lockDir, type DirLock } from '../io/lock.ts';
import { nonFiniteWeight, writeModelFiles } from '../model/checkpoint.ts';
import { checkTensorShapes, checkWeightShapes, type CausalLM } from '../model/llama.ts';
import { readSafetensors, serializeSafetensors } from '../model/safetensors.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import type { AdamW } from './optimizer.ts';
import { allowedOnResume, configChanges, describeChange, type ConfigChange } from './run-config.ts';
import type { WeightedMeansState } from './weighted-means.ts';

/** What a checkpoint records besides weights and optimizer moments. */
export interface TrainerState {
  /** Optimizer steps taken. */
  step: number;
  /** Tokens trained on up to the last log line (`num_tokens`); absent in older checkpoints. */
  numTokens?: number;
  /** The final evaluation, in the checkpoint written at the end of the run (a resume does not log it again). */
  finalEval?: Record<string, number>;
  /** Metrics gathered since the last log line (so a resumed run logs the same lines). */
  pending: WeightedMeansState | { steps: number; sums: Record<string, number> };
}

const CHECKPOINT_PATTERN = /^step-(\d+)$/;

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

export async function saveCheckpoint(
  runDir: string,
  model: CausalLM,
  tokenizer: Tokenizer,
  optimizer: AdamW,
  state: TrainerState,
  /** Writes the trained weights into the checkpoint (LoRA: the adapter files); default: the full model. */
  writeWeights: (dir: string) => Promise<void> = (dir) => writeModelFiles(dir, model, tokenizer),
): Promise<string> {
  const dir = path.join(checkpointsDir(runDir), `step-${String(state.step).padStart(6, '0')}`);
  const { step, tensors } = await optimizer.state();
  await writeDirAtomic(dir, async (temp) => {
    await writeWeights(temp);
    await writeFile(path.join(temp, 'optimizer.safetensors'), serializeSafetensors(tensors, { step: String(step) }));
    await writeFile(path.join(temp, 'trainer_state.json'), `${JSON.stringify(state, null, 2)}\n`);
  });
  return dir;
}

/** The newest complete checkpoint of a run, or undefined. */
export async function latestCheckpoint(runDir: string): Promise<{ dir: string; step: number } | undefined> {
  let entries: string[];
  try {
    entries = await readdir(checkpointsDir(runDir));
  } catch {
    return undefined;
  }
  const steps = entries
    .map((name) => CHECKPOINT_PATTERN.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of steps) {
    const dir = path.join(checkpointsDir(runDir), `step-${String(step).padStart(6, '0')}`);
    try {
      await stat(path.join(dir, 'trainer_state.json'));
      return { dir, step };
    } catch {
      // incomplete: look at an older one
    }
  }
  return undefined;
}

/**
 * The newest checkpoint whose weights are all finite (verified by reading them), or undefined:
 * the one to name after a divergence.
 */
export async function latestGoodCheckpoint(runDir: string): Promise<{ dir: string; step: number } | undefined> {
  const names = await readdir(checkpointsDir(runDir)).catch(() => [] as string[]);
  const dirs = names.filter((name) => CHECKPOINT_PATTERN.test(name)).sort().reverse().map((name) => path.join(checkpointsDir(runDir), name));
  for (const dir of dirs) {
    try {
      const { step } = await readTrainerState(dir);
      const adapter = path.join(dir, 'adapter_model.safetensors');
      const weights = await readSafetensors((await stat(adapter).then(() => true, () => false)) ? adapter : path.join(dir, 'model.safetensors'));
      if ([...weights.tensors].every(([name, t]) => nonFiniteWeight(name, t.data) === undefined)) return { dir, step };
    } catch {
      // incomplete or unreadable: look at an older one
    }
  }
  return undefined;
}

/**
 * Keeps the newest `keep` checkpoints of a run and deletes the older ones (train.saveTotalLimit).
 * Returns the deleted directories.
 */
export async function rotateCheckpoints(runDir: string, keep: number): Promise<string[]> {
  const entries = await readdir(checkpointsDir(runDir)).catch(() => [] as string[]);
  const old = entries.filter((name) => CHECKPOINT_PATTERN.test(name)).sort().reverse().slice(keep);
  const dirs = old.map((name) => path.join(checkpointsDir(runDir), name));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  return dirs;
}

/** trainer_state.json of a checkpoint, checked. */
export async function readTrainerState(dir: string): Promise<TrainerState> {
  const file = path.join(dir, 'trainer_state.json');
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as TrainerState;
  } catch (error) {
    throw new UserError(`${dir}: not a complete checkpoint (cannot read trainer_state.json: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (typeof state !== 'object' || state === null || !Number.isSafeInteger(state.step) || state.step < 0) {
    throw new UserError(`${file}: field 'step' must be a non-negative integer`);
  }
  return state;
}

/** A checkpoint directory named by the user (--resume-from), checked to be complete. */
export async function namedCheckpoint(dir: string): Promise<{ dir: string; step: number }> {
  return { dir, step: (await readTrainerState(dir)).step };
}

/**
 * Restores the trained weights (every weight, or under LoRA the adapters, from
 * adapter_model.safetensors) and the optimizer state from a checkpoint into `model` and `optimizer`.
 */
export async function restoreCheckpoint(dir: string, model: CausalLM, optimizer: AdamW): Promise<TrainerState> {
  const adapterFile = path.join(dir, 'adapter_model.safetensors');
  const isAdapter = model.trainable !== model.params;
  if (isAdapter !== (await stat(adapterFile).then(() => true, () => false))) {
    throw new UserError(`${dir}: checkpoint ${isAdapter ? 'holds no LoRA adapter, but the run trains one (model.lora)' : 'holds a LoRA adapter, but the run trains every weight (no model.lora)'}`);
  }
  const weights = await readSafetensors(isAdapter ? adapterFile : path.join(dir, 'model.safetensors'));
  try {
    if (isAdapter) checkTensorShapes(new Map([...model.trainable].map(([name, v]) => [name, v.shape])), weights.tensors, 'the run\'s LoRA adapter');
    else checkWeightShapes(model.config, weights.tensors);
  } catch (error) {
    throw new UserError(`${dir}: ${(error as Error).message}`);
  }
  for (const [name, variable] of model.trainable) {
    tf.tidy(() => variable.assign(tf.tensor(weights.tensors.get(name)!.data as Float32Array, variable.shape, 'float32')));
  }
  const moments = await readSafetensors(path.join(dir, 'optimizer.safetensors'));
  const state = await readTrainerState(dir);
  try {
    optimizer.restore(Number(moments.metadata?.step ?? state.step), new Map([...moments.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])));
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${path.join(dir, 'optimizer.safetensors')}: ${error.message}`);
    throw error;
  }
  return state;
}

/** metrics.jsonl of a run. */
export class MetricsLog {
  constructor(readonly file: string) {}

  /** Appends one line; a failed append (ENOSPC, EROFS, ...) leaves the file as it was, not half a line. */
  async append(record: Record<string, unknown>): Promise<void> {
    const size = await stat(this.file).then((s) => s.size, () => undefined);
    try {
      await appendFile(this.file, `${JSON.stringify(record)}\n`);
    } catch (error) {
      if (size !== undefined) await truncate(this.file, size).catch(() => {});
      throw fileError(this.file, 'write', error); // one line naming the file
    }
  }

  /** Keeps only the complete lines up to optimizer step `step` (a resumed run logs the rest again). */
  async truncateAfter(step: number): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return;
    }
    const kept = text
      .split('\n')
      .filter((line) => {
        try {
          return (JSON.parse(line) as { step: number }).step <= step;
        } catch {
          return false; // blank, or cut short by a kill
        }
      });
    await writeFileAtomic(this.file, kept.map((line) => `${line}\n`).join(''));
  }

  async read(): Promise<Record<string, unknown>[]> {
    const text = await readFile(this.file, 'utf8');
    return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** The file that marks a directory as a prefopt run directory. */
export const RUN_MARKER = 'prefopt-run.json';
/** Every config a run was started or resumed with, one JSON line each. */
export const CONFIG_HISTORY = 'config-history.jsonl';

export interface PreparedRunDir {
  /** The run directory's lock, held until released (or the process exits). */
  lock: DirLock;
  /** The config changes this resume applied (only ones that extend the run). */
  changes: ConfigChange[];
  /** Leftover temporary files of interrupted writes that were removed. */
  removed: string[];
  /** True when a run without any checkpoint (killed early) is started again from step 0. */
  restarted: boolean;
}

/** Whether `inner` is `outer` or lies inside it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The real path of `file`, or of its nearest existing parent joined with the rest. */
async function realPathOf(file: string): Promise<string> {
  const absolute = path.resolve(file);
  try {
    return await realpath(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(await realPathOf(parent), path.basename(absolute));
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** What an existing output directory holds: nothing, a prefopt run, or something else. */
async function classify(runDir: string): Promise<'missing' | 'empty' | 'run' | 'other'> {
  let info;
  try {
    info = await stat(runDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  if (!info.isDirectory()) throw new UserError(`output ${runDir} is a file, not a directory; choose a new or empty directory`);
  const names = await readdir(runDir);
  if (names.length === 0) return 'empty';
  if (names.includes(RUN_MARKER)) return 'run';
  // A run written before the marker existed: its config, metrics and checkpoints.
  if (names.includes('metrics.jsonl') && names.includes('config.json') && (names.includes('checkpoints') || names.includes('model'))) return 'run';
  return 'other';
}

/**
 * Prepares the run directory and takes its lock. Training writes only into a new or empty
 * directory or a prefopt run directory (marked by prefopt-run.json), never into or around the
 * model it reads. A fresh run refuses a run that has a checkpoint (resume it instead); a run
 * killed before its first checkpoint starts again. A resumed run refuses config changes that alter
 * the run (naming them). Leftover temporary files of interrupted writes are removed. Every config
 * the run is started with is appended to config-history.jsonl; config.json holds the current one.
 */
export async function prepareRunDir(runDir: string, config: PrefoptConfig, resume: boolean): Promise<PreparedRunDir> {
  try {
    return await prepare(runDir, config, resume);
  } catch (error) {
    throw fileError(runDir, 'use the output directory', error);
  }
}

async function prepare(runDir: string, config: PrefoptConfig, resume: boolean): Promise<PreparedRunDir> {
  const output = await realPathOf(runDir);
  for (const [key, dir] of [['model.path', config.model.path], ['model.tokenizer', config.model.tokenizer]] as const) {
    if (dir === undefined || dir === 'char') continue;
    const source = await realPathOf(dir);
    if (isWithin(source, output) || isWithin(output, source)) {
      throw new UserError(`output ${runDir} and ${key} ${dir} overlap: training would overwrite the model it reads; choose another output`);
    }
  }
  const kind = await classify(runDir);
  if (kind === 'other') {
    throw new UserError(`output ${runDir} is not empty and is not a prefopt run directory (no ${RUN_MARKER}): training would overwrite its files; choose a new or empty directory`);
  }
  if (resume && kind !== 'run') throw new UserError(`${runDir}: no run to resume (no complete checkpoint to resume from)`);
  await makeDirectory(runDir);
  const lock = await lockDir(runDir, 'trains in');
  try {
    const removed = [...(await removeLeftoverTemps(runDir)), ...(await removeLeftoverTemps(checkpointsDir(runDir)))];
    const checkpoint = await latestCheckpoint(runDir);
    const finished = await exists(path.join(runDir, 'model', 'model.safetensors'));
    let changes: ConfigChange[] = [];
    let restarted = false;
    if (kind === 'run' && !resume) {
      if (checkpoint || finished) {
        throw new UserError(`${runDir} already holds a run; resume it with --resume, or choose another output (--set output=DIR)`);
      }
      restarted = true; // killed before its first checkpoint: nothing worth keeping
    }
    if (kind === 'run' && resume) {
      const previous = await readJsonIfAny(path.join(runDir, 'config.json'));
      changes = previous === undefined ? [] : configChanges(previous, config);
      const refused = changes.filter((c) => !allowedOnResume(c));
      if (refused.length > 0) {
        throw new UserError(
          `${runDir}: cannot resume with a changed config: ${refused.map(describeChange).join(', ')}; ` +
            'a resume may only add steps or epochs or change logEvery/evalEvery/saveEvery/data.eval/backend. ' +
            'Undo the changes, or start a new run in another output',
        );
      }
    }
    if (kind !== 'run') await writeFileAtomic(path.join(runDir, RUN_MARKER), `${JSON.stringify({ prefopt: 'run', version: 1, created: new Date().toISOString() })}\n`);
    await appendFile(path.join(runDir, CONFIG_HISTORY), `${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, resume, restarted, changes, config })}\n`);
    await writeFileAtomic(path.join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    return { lock, changes, removed, restarted };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function readJsonIfAny(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
