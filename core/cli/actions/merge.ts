/** What `prefopt merge` runs (options parsed by commands/merge.ts). */
import path from 'node:path';
import { UserError } from '../../errors.ts';
import { TORCH_DTYPES } from '../../model/checkpoint.ts';
import { ADAPTER_CONFIG, mergeAdapterDir, parseAdapterConfig } from '../../model/peft.ts';
import { readJsonFile } from '../../model/hf-tokenizer.ts';
import type { SaveDtype } from '../../model/safetensors.ts';
import { selectBackend } from '../../runtime/backend.ts';

/** 'bfloat16' (or 'BF16') -> 'BF16'. */
export function parseDtype(value: string, flag: string): SaveDtype {
  const found = (Object.entries(TORCH_DTYPES) as Array<[SaveDtype, string]>).find(([key, torch]) => value === torch || value.toUpperCase() === key);
  if (!found) throw new UserError(`${flag} must be one of ${Object.values(TORCH_DTYPES).join(', ')} (got '${value}')`);
  return found[0];
}

export async function runMerge(options: { adapter: string; out: string; model?: string; dtype?: string }): Promise<void> {
  const dtype = options.dtype === undefined ? undefined : parseDtype(options.dtype, '--dtype');
  const configFile = path.join(options.adapter, ADAPTER_CONFIG);
  const { baseModel } = parseAdapterConfig(await readJsonFile(configFile), configFile);
  const baseDir = options.model ?? baseModel;
  if (baseDir === undefined) throw new UserError(`${configFile} names no base_model_name_or_path: pass --model DIR`);
  await selectBackend('cpu');
  const { layers, dtype: saved } = await mergeAdapterDir({ baseDir, adapterDir: options.adapter, outDir: options.out, dtype });
  process.stdout.write(`merged ${layers} adapted layers of ${options.adapter} into ${baseDir}: ${options.out} (${TORCH_DTYPES[saved]})\n`);
}
