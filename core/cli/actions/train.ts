/** What `prefopt train` runs (options parsed by commands/train.ts). */
import { loadConfig } from '../../config/load.ts';
import { train } from '../../train/trainer.ts';

/** The end-of-run summary: a few lines a person reads. */
export function formatSummary(result: { runDir: string; modelDir: string; steps: number; seconds: number; train: Record<string, number>; eval: Record<string, number> }): string {
  const show = (metrics: Record<string, number>) =>
    Object.entries(metrics).map(([k, v]) => `  ${k.padEnd(28)} ${Number.isInteger(v) ? v : v.toPrecision(5)}`).join('\n');
  return [
    `done: ${result.steps} steps in ${result.seconds.toFixed(1)} s`,
    `model: ${result.modelDir}`,
    `metrics: ${result.runDir}/metrics.jsonl`,
    ...(Object.keys(result.train).length ? ['last training metrics:', show(result.train)] : []),
    ...(Object.keys(result.eval).length ? ['evaluation:', show(result.eval)] : []),
  ].join('\n');
}

export interface TrainCliOptions {
  config: string;
  set: string[];
  resume?: boolean;
  resumeFrom?: string;
}

export async function runTrain(options: TrainCliOptions): Promise<void> {
  const loaded = await loadConfig(options.config, { overrides: options.set });
  const result = await train(loaded, { resume: options.resume ?? false, ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}) });
  process.stdout.write(`${formatSummary(result)}\n`);
}
