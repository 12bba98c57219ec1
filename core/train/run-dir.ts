/**
 * The run directory:
 *
 *   config.json                 the resolved config
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
import { appendFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { writeDirAtomic, writeFileAtomic } from '../io/atomic.ts';
import { writeModelFiles } from '../model/checkpoint.ts';
import type { CausalLM } from '../model/llama.ts';
import { readSafetensors, serializeSafetensors } from '../model/safetensors.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import type { AdamW } from './optimizer.ts';
import type { WeightedMeansState } from './weighted-means.ts';

/** What a checkpoint records besides weights and optimizer moments. */
export interface TrainerState {
  /** Optimizer steps taken. */
  step: number;
  /** Tokens trained on up to the last log line (`num_tokens`); absent in older checkpoints. */
  numTokens?: number;
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

/** A checkpoint directory named by the user (--resume-from), checked to be complete. */
export async function namedCheckpoint(dir: string): Promise<{ dir: string; step: number }> {
  const file = path.join(dir, 'trainer_state.json');
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as TrainerState;
  } catch (error) {
    throw new UserError(`${dir}: not a complete checkpoint (cannot read trainer_state.json: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!Number.isInteger(state.step) || state.step < 0) throw new UserError(`${file}: field 'step' must be a non-negative integer`);
  return { dir, step: state.step };
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
  for (const [name, variable] of model.trainable) {
    const saved = weights.tensors.get(name);
    if (!saved || saved.shape.join(',') !== variable.shape.join(',')) {
      throw new UserError(`${dir}: checkpoint weight '${name}' is missing or has another shape than the model's`);
    }
    tf.tidy(() => variable.assign(tf.tensor(saved.data as Float32Array, variable.shape, 'float32')));
  }
  const moments = await readSafetensors(path.join(dir, 'optimizer.safetensors'));
  const state = JSON.parse(await readFile(path.join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
  optimizer.restore(Number(moments.metadata?.step ?? state.step), new Map([...moments.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])));
  return state;
}

/** metrics.jsonl of a run. */
export class MetricsLog {
  constructor(readonly file: string) {}

  async append(record: Record<string, unknown>): Promise<void> {
    await appendFile(this.file, `${JSON.stringify(record)}\n`);
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

/**
 * Prepares the run directory: a fresh run refuses a directory that already holds a run (no data
 * loss); a resumed run needs one. Writes the resolved config.
 */
export async function prepareRunDir(runDir: string, config: unknown, resume: boolean): Promise<void> {
  const hasRun = await stat(path.join(runDir, 'metrics.jsonl')).then(() => true, () => false);
  if (hasRun && !resume) {
    throw new UserError(`${runDir} already holds a run; resume it with --resume, or choose another output (--set output=DIR)`);
  }
  await mkdir(runDir, { recursive: true });
  await writeFileAtomic(path.join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
}
