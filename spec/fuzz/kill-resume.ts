/**
 * Kill-and-resume over random kill points: a tiny run is killed with SIGKILL at a seeded point
 * (after a step, before its first checkpoint, while a checkpoint or the final model/ is being
 * written, after the last step), resumed with `--resume` semantics, and must end with the same
 * metrics.jsonl (wall-clock field aside) and a byte-identical final model as a run never killed.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../../core/config/load.ts';
import { MetricsLog } from '../../core/train/run-dir.ts';
import { train } from '../../core/train/trainer.ts';
import { letterPairs, tempDir, writeJsonl } from '../train/helpers.ts';
import { Random } from './cases.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const STEPS = 8;

export interface KillResult {
  points: Array<{ point: string; killed: boolean; same: boolean }>;
  mismatches: string[];
}

/** Every kill point of the run below: after each step, each checkpoint write, the final write. */
export function killPoints(): string[] {
  return [
    ...Array.from({ length: STEPS }, (_, i) => `step:${i + 1}`), // step:1 is before the first checkpoint
    ...[3, 6].map((s) => `checkpoint:${s}`),
    'checkpoint:8', // the final checkpoint
    'model',
  ];
}

async function runConfig(dir: string, output: string): Promise<string> {
  const train = await writeJsonl(path.join(dir, 'train.jsonl'), letterPairs(12));
  const evalFile = await writeJsonl(path.join(dir, 'eval.jsonl'), letterPairs(4));
  const config = {
    stage: 'preference',
    model: { init: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16 } },
    data: { train, eval: evalFile, maxLength: 16 },
    loss: { name: 'dpo', beta: 0.5 },
    train: { seed: 3, maxSteps: STEPS, batchSize: 4, learningRate: 1e-2, schedule: 'cosine', warmupSteps: 2, logEvery: 2, evalEvery: 4, saveEvery: 3 },
    backend: 'wasm',
    output,
  };
  const file = path.join(dir, `${path.basename(output)}.json`);
  await writeFile(file, JSON.stringify(config));
  return file;
}

async function loadRun(file: string) {
  const raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
  return resolveConfig(raw, { source: file, baseDir: path.dirname(file) });
}

const metricsOf = async (runDir: string) =>
  JSON.stringify((await new MetricsLog(path.join(runDir, 'metrics.jsonl')).read()).map(({ 'tokens/s': _s, ...rest }) => rest));

const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

/** Kills a run at `points` seeded random points (or the given ones) and compares each resumed run with one never killed. */
export async function killAndResume(options: { points: number | string[]; seed: number; log?: (line: string) => void }): Promise<KillResult> {
  const dir = await tempDir('prefopt-kill-');
  const whole = await loadRun(await runConfig(dir, path.join(dir, 'whole')));
  await train(whole, { progressStream: quiet, plots: false });
  const wantMetrics = await metricsOf(whole.config.output);
  const wantModel = await readFile(path.join(whole.config.output, 'model', 'model.safetensors'));

  const all = killPoints();
  const random = new Random(options.seed);
  const points = Array.isArray(options.points) ? options.points : Array.from({ length: options.points }, () => random.pick(all));
  const result: KillResult = { points: [], mismatches: [] };
  for (const [i, point] of points.entries()) {
    const file = await runConfig(dir, path.join(dir, `killed-${i}`));
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'kill-child.ts'), file, point], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
    const killed = signal === 'SIGKILL';
    if (!killed && !/Hi, looks like/.test(stderr) && stderr.trim() !== '') options.log?.(`kill point ${point}: child stderr ${stderr.slice(-300)}`);
    const loaded = await loadRun(file);
    await train(loaded, { progressStream: quiet, plots: false, resume: true });
    const same =
      (await metricsOf(loaded.config.output)) === wantMetrics &&
      Buffer.compare(await readFile(path.join(loaded.config.output, 'model', 'model.safetensors')), wantModel) === 0;
    result.points.push({ point, killed, same });
    if (!same) result.mismatches.push(point);
    options.log?.(`kill point ${point}: ${killed ? 'killed' : 'finished before the kill'}, resumed ${same ? 'identical' : 'DIFFERENT'}`);
  }
  return result;
}
