/**
 * `prefopt merge --adapter DIR --out DIR [--model BASE] [--dtype float32|bfloat16|float16]`:
 * folds a LoRA adapter (PEFT layout) into its base model and writes a full Hugging Face model
 * directory, as PEFT's merge_and_unload + save_pretrained would.
 */
import type { Command } from 'commander';

export function addMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('fold a LoRA adapter into its base model and save a full model directory')
    .requiredOption('--adapter <dir>', 'adapter directory (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('--out <dir>', 'where to write the merged model directory')
    .option('--model <dir>', "base model directory (default: the adapter's base_model_name_or_path)")
    .option('--dtype <dtype>', "weights dtype of the merged model: float32, bfloat16 or float16 (default: the base model's)")
    .action(async (options: { adapter: string; out: string; model?: string; dtype?: string }) => (await import('../actions/merge.ts')).runMerge(options));
}
