/**
 * `prefopt loss --loss NAME [--set key=value ...] [--plugin PATH ...] [--input FILE] [--out FILE]`:
 * reads JSONL pairs of log-probs, writes one JSONL line per pair with the loss, the rewards and
 * the gradient of that pair's loss with respect to the policy log-probs. Streams: the input is
 * read and evaluated `--batch-size` pairs at a time, in constant memory.
 */
import type { Command } from 'commander';
import type { LossCliOptions } from '../actions/loss.ts';
import { collect, integerOption } from '../options.ts';

export function addLossCommand(program: Command): void {
  program
    .command('loss')
    .description('evaluate a loss on JSONL pairs of log-probs: per-pair loss, rewards and gradients')
    .requiredOption('--loss <name>', 'loss name or alias (see `prefopt losses`)')
    .option('--set <key=value>', 'set a loss param, e.g. --set beta=0.2 (repeatable)', collect, [])
    .option('--plugin <path>', 'load a third-party loss plugin (repeatable)', collect, [])
    .option('--input <file>', 'JSONL file of pairs (default: stdin)')
    .option('--out <file>', 'write the JSONL to FILE instead of stdout (atomically: FILE appears only when complete)')
    .addOption(integerOption('--batch-size <n>', 'pairs evaluated together; a batch-coupled loss (aot) couples the pairs of one batch', { min: 1, max: 1_000_000, default: 1024 }))
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .action(async (options: LossCliOptions) => (await import('../actions/loss.ts')).runLoss(options));
}
