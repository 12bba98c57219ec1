/**
 * `prefopt generate --model DIR (--prompt TEXT | --input FILE) [--max-new-tokens N]
 *  [--temperature T] [--top-k K] [--seed S] [--batch-size N] [--backend NAME]`:
 * continues prompts with the model. One --prompt prints the completion text; --input reads JSONL
 * records with `prompt` (text) or `prompt_ids` and writes one JSONL line per record:
 * `completion`, `completion_ids`, `finish_reason` ('eos' or 'length').
 */
import type { Command } from 'commander';
import type { GenerateCliOptions } from '../actions/generate.ts';
import { integerOption, realOption, seedOption } from '../options.ts';

export function addGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('continue prompts with a model: greedy or temperature/top-k sampling')
    .requiredOption('--model <dir>', 'model directory in Hugging Face layout, or a LoRA adapter directory (PEFT layout, on its base model)')
    .option('--prompt <text>', 'one prompt; prints its completion')
    .option('--input <file>', 'JSONL records with prompt (text) or prompt_ids; writes JSONL')
    .addOption(integerOption('--max-new-tokens <n>', 'most tokens generated per prompt', { min: 1, default: 64 }))
    .addOption(realOption('--temperature <t>', '0 = greedy', { min: 0, default: 0 }))
    .addOption(integerOption('--top-k <k>', 'sample among the k most likely tokens (0 = all)', { min: 0, default: 0 }))
    .addOption(seedOption('sampling seed'))
    .addOption(integerOption('--batch-size <n>', 'prompts generated together', { min: 1, default: 32 }))
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .action(async (options: GenerateCliOptions) => (await import('../actions/generate.ts')).runGenerate(options));
}
