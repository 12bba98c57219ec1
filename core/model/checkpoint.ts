/**
 * Model directories in Hugging Face layout:
 *
 *   config.json             LlamaConfig (HF field names)
 *   model.safetensors       weights under HF tensor names (F32/F16/BF16 read, F32 written), or
 *   model.safetensors.index.json + shards (read only)
 *   tokenizer.json          (+ tokenizer_config.json) read through @huggingface/tokenizers
 *
 * Saving is atomic: the directory is filled under a temporary name and renamed into place.
 */
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { writeDirAtomic } from '../io/atomic.ts';
import { parseConfig, type LlamaConfig } from './config.ts';
import { HfTokenizer, readJsonFile } from './hf-tokenizer.ts';
import { CausalLM } from './llama.ts';
import { readSafetensors, serializeSafetensors, type SafeTensor } from './safetensors.ts';
import type { Tokenizer } from '../data/tokenizer.ts';

export interface LoadedModel {
  model: CausalLM;
  tokenizer: HfTokenizer;
  config: LlamaConfig;
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Every tensor of the directory's safetensors file(s), by name. */
async function readWeights(dir: string): Promise<Map<string, SafeTensor & { file: string }>> {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (await exists(single)) files = [single];
  else if (await exists(index)) {
    const map = (await readJsonFile(index)).weight_map;
    if (typeof map !== 'object' || map === null) throw new UserError(`${index}: field 'weight_map' must be an object`);
    files = [...new Set(Object.values(map as Record<string, unknown>).map(String))].map((f) => path.join(dir, f));
  } else {
    throw new UserError(`${dir}: no model.safetensors (or model.safetensors.index.json) found`);
  }
  const weights = new Map<string, SafeTensor & { file: string }>();
  for (const file of files) {
    for (const [name, tensor] of (await readSafetensors(file)).tensors) weights.set(name, { ...tensor, file });
  }
  return weights;
}

/** Loads a model directory: config, weights and tokenizer. */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const configFile = path.join(dir, 'config.json');
  const config = parseConfig(await readJsonFile(configFile), configFile);
  const weights = await readWeights(dir);
  if (config.tie_word_embeddings) weights.delete('lm_head.weight'); // some tied checkpoints store a copy
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of weights) {
    if (!FLOAT_DTYPES.has(tensor.dtype)) throw new UserError(`${tensor.file}: weight '${name}' has dtype ${tensor.dtype}, expected F32, F16 or BF16`);
    arrays.set(name, { shape: tensor.shape, data: tensor.data as Float32Array });
  }
  let model: CausalLM;
  try {
    model = CausalLM.fromArrays(config, arrays);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${dir}: ${error.message}`);
    throw error;
  }
  const firstId = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number | undefined;
  const fallback = {
    eos: firstId(config.eos_token_id) ?? undefined,
    bos: firstId(config.bos_token_id) ?? undefined,
    pad: firstId(config.pad_token_id) ?? undefined,
  };
  let tokenizer: HfTokenizer;
  try {
    tokenizer = await HfTokenizer.fromDir(dir, fallback);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return { model, tokenizer, config };
}

/** The config.json written for a model (HF fields, plus architectures and dtype). */
export function configJson(model: CausalLM, tokenizer?: Tokenizer): Record<string, unknown> {
  const c = model.config;
  return {
    ...c,
    architectures: [c.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    hidden_act: 'silu',
    torch_dtype: 'float32',
    ...(tokenizer ? { eos_token_id: c.eos_token_id ?? tokenizer.eosTokenId, bos_token_id: c.bos_token_id ?? tokenizer.bosTokenId ?? null } : {}),
  };
}

/** Encodes the model's weights as F32 safetensors bytes. */
export async function weightsBytes(model: CausalLM): Promise<Uint8Array> {
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of model.params) arrays.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  return serializeSafetensors(arrays, { format: 'pt' });
}

/** Writes the files of a model directory (config.json, model.safetensors, tokenizer files) into `dir`. */
export async function writeModelFiles(dir: string, model: CausalLM, tokenizer: Tokenizer): Promise<void> {
  if (!(tokenizer instanceof HfTokenizer)) throw new UserError('saving a model needs a Hugging Face tokenizer (HfTokenizer)');
  const weights = await weightsBytes(model);
  await writeFile(path.join(dir, 'config.json'), `${JSON.stringify(configJson(model, tokenizer), null, 2)}\n`);
  await writeFile(path.join(dir, 'model.safetensors'), weights);
  for (const [name, text] of Object.entries(tokenizer.files())) await writeFile(path.join(dir, name), text);
}

/** Saves a model directory atomically (config.json, model.safetensors, tokenizer files). */
export async function saveModelDir(dir: string, model: CausalLM, tokenizer: Tokenizer): Promise<void> {
  await writeDirAtomic(dir, (temp) => writeModelFiles(temp, model, tokenizer));
}
