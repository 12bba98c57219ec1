/**
 * `prefopt merge --adapter DIR --out DIR [--model BASE] [--dtype float32|bfloat16|float16]`:
 * folds a LoRA adapter (PEFT layout) into its base model and writes a full Hugging Face model
 * directory, as PEFT's merge_and_unload + save_pretrained would.
 */
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { TORCH_DTYPES } from '../../model/checkpoint.ts';
import { ADAPTER_CONFIG, mergeAdapterDir, parseAdapterConfig } from '../../model/peft.ts';
import { readJsonFile } from '../../model/hf-tokenizer.ts';
import type { SaveDtype } from '../../model/safetensors.ts';
import { selectBackend } from '../../runtime/backend.ts';
import path from 'node:path';

/** 'bfloat16' (or 'BF16') -> 'BF16'. */
export function parseDtype(value: string, flag: string): SaveDtype {
  const found = (Object.entries(TORCH_DTYPES) as Array<[SaveDtype, string]>).find(([key, torch]) => value === torch || value.toUpperCase() === key);
  if (!found) throw new UserError(`${flag} must be one of ${Object.values(TORCH_DTYPES).join(', ')} (got '${value}')`);
  return found[0];
}

export function addMergeCommand(program: Command): void {
  program
    .command('merge')
    .description('fold a LoRA adapter into its base model and save a full model directory')
    .requiredOption('--adapter <dir>', 'adapter directory (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('--out <dir>', 'where to write the merged model directory')
    .option('--model <dir>', "base model directory (default: the adapter's base_model_name_or_path)")
    .option('--dtype <dtype>', "weights dtype of the merged model: float32, bfloat16 or float16 (default: the base model's)")
    .action(async (options: { adapter: string; out: string; model?: string; dtype?: string }) => {
      const dtype = options.dtype === undefined ? undefined : parseDtype(options.dtype, '--dtype');
      const configFile = path.join(options.adapter, ADAPTER_CONFIG);
      const { baseModel } = parseAdapterConfig(await readJsonFile(configFile), configFile);
      const baseDir = options.model ?? baseModel;
      if (baseDir === undefined) throw new UserError(`${configFile} names no base_model_name_or_path: pass --model DIR`);
      await selectBackend('cpu');
      const { layers, dtype: saved } = await mergeAdapterDir({ baseDir, adapterDir: options.adapter, outDir: options.out, dtype });
      process.stdout.write(`merged ${layers} adapted layers of ${options.adapter} into ${baseDir}: ${options.out} (${TORCH_DTYPES[saved]})\n`);
    });
}
