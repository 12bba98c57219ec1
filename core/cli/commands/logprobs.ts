/**
 * `prefopt logprobs --model DIR --input FILE [--out FILE] [--reference DIR] [--backend NAME] [--batch-size N]`:
 * per-record summed completion log-probs of chosen and rejected under a model (and a reference
 * model). Records carry text (`prompt`, `chosen`, `rejected`: tokenized as TRL does, BOS +
 * prompt, completion + EOS) or ids (`prompt_ids`, `chosen_ids`, `rejected_ids`: used as given, no
 * tokenizer needed). Writes one JSONL line per record, the input of `prefopt loss`:
 * `policy_chosen_logps`, `policy_rejected_logps`, with --reference `ref_chosen_logps`,
 * `ref_rejected_logps`, and `chosen_length`, `rejected_length` (completion tokens scored).
 */
import type { Command } from 'commander';
import type { LogprobsCliOptions } from '../actions/logprobs.ts';
import { integerOption } from '../options.ts';

export function addLogprobsCommand(program: Command): void {
  program
    .command('logprobs')
    .description('summed completion log-probs of chosen/rejected records under a model (JSONL out, the input of `prefopt loss`)')
    .requiredOption('--model <dir>', 'model directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json), or a LoRA adapter directory (PEFT layout, on its base model)')
    .requiredOption('--input <file>', 'JSONL records: prompt/chosen/rejected text or prompt_ids/chosen_ids/rejected_ids')
    .option('--out <file>', 'write the JSONL to FILE instead of stdout (atomically: FILE appears only when complete)')
    .option('--reference <dir>', 'also score under this reference model (writes ref_chosen_logps, ref_rejected_logps)')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .addOption(integerOption('--batch-size <n>', 'sequences per forward pass', { min: 1, default: 16 }))
    .action(async (options: LogprobsCliOptions) => (await import('../actions/logprobs.ts')).runLogprobs(options));
}
