/** `prefopt train --config FILE [--set key=value ...] [--resume | --resume-from CHECKPOINT]`: runs a training config. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { train } from '../../train/trainer.ts';
import { collect } from '../options.ts';

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

export function addTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a model (stage sft or preference) as a config file describes')
    .requiredOption('--config <file>', 'YAML or JSON config (see docs/config.md and configs/)')
    .option('--set <key=value>', 'override a config value, e.g. --set train.learningRate=1e-4 (repeatable)', collect, [])
    .option('--resume', 'continue the run in the output directory from its last checkpoint')
    .option('--resume-from <checkpoint>', 'continue the run in the output directory from this checkpoint directory (e.g. RUN/checkpoints/step-000100)')
    .action(async (options: { config: string; set: string[]; resume?: boolean; resumeFrom?: string }) => {
      const loaded = await loadConfig(options.config, { overrides: options.set });
      const result = await train(loaded, { resume: options.resume ?? false, ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}) });
      process.stdout.write(`${formatSummary(result)}\n`);
    });
}
