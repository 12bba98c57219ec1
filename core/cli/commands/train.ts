/** `prefopt train --config FILE [--set key=value ...] [--resume | --resume-from CHECKPOINT]`: runs a training config. */
import type { Command } from 'commander';
import type { TrainCliOptions } from '../actions/train.ts';
import { collect } from '../options.ts';

export function addTrainCommand(program: Command): void {
  program
    .command('train')
    .description('train a model (stage sft or preference) as a config file describes')
    .requiredOption('--config <file>', 'YAML or JSON config (see docs/config.md and configs/)')
    .option('--set <key=value>', 'override a config value, e.g. --set train.learningRate=1e-4 (repeatable)', collect, [])
    .option('--resume', 'continue the run in the output directory from its last checkpoint')
    .option('--resume-from <checkpoint>', 'continue the run in the output directory from this checkpoint directory (e.g. RUN/checkpoints/step-000100)')
    .action(async (options: TrainCliOptions) => (await import('../actions/train.ts')).runTrain(options));
}
