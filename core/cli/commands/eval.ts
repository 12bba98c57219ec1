/**
 * `prefopt eval --model DIR --data FILE [--reference DIR] [--loss NAME --set k=v]`: reward
 * accuracy, margins and loss of a model on a preference file. Implicit rewards compare the model
 * with a reference (the model it was trained from); a reference-free loss needs none.
 */
import type { Command } from 'commander';
import type { EvalCliOptions } from '../actions/eval.ts';
import { collect, integerOption } from '../options.ts';

export function addEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('reward accuracy, margins and loss of a model on a preference JSONL file')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout) or LoRA adapter directory (PEFT layout, on its base model)')
    .requiredOption('--data <file>', 'preference JSONL (prompt, chosen, rejected)')
    .option('--reference <dir>', 'reference model directory (the model training started from)')
    .option('--loss <name>', 'loss to report (default dpo)', 'dpo')
    .option('--set <key=value>', 'loss param, e.g. --set beta=0.1 (repeatable)', collect, [])
    .option('--plugin <path>', 'load a third-party loss plugin (repeatable)', collect, [])
    .addOption(integerOption('--max-length <n>', 'longest sequence in tokens', { min: 2, default: 512 }))
    .addOption(integerOption('--batch-size <n>', 'pairs per batch', { min: 1, default: 16 }))
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .addOption(integerOption('--workers <n>', 'threads evaluating batches, the main one included (default: every core on wasm and cpu)', { min: 1 }))
    .action(async (options: EvalCliOptions) => (await import('../actions/eval.ts')).runEval(options));
}
