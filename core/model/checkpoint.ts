/**
 * Model directories in Hugging Face layout:
 *
 *   config.json             LlamaConfig (HF field names)
 *   model.safetensors       weights under HF tensor names (F32/F16/BF16 read and written), or
 *   model.safetensors.index.json + shards (read only)
 *   tokenizer.json          (+ tokenizer_config.json) read through @huggingface/tokenizers
 *   generation_config.json  kept as read; written from the config's token ids when absent
 *   README.md               the model card, when the caller supplies one
 *
 * Saving is atomic: the directory is filled under a temporary name and renamed into place.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { writeDirAtomic } from '../io/atomic.ts';
import { parseConfig, type LlamaConfig } from './config.ts';
import { HfTokenizer, readJsonFile } from './hf-tokenizer.ts';
import { CausalLM } from './llama.ts';
import { readSafetensors, serializeSafetensors, type SafeTensor, type SaveDtype } from './safetensors.ts';
import type { Tokenizer } from '../data/tokenizer.ts';

export interface LoadedModel {
  model: CausalLM;
  tokenizer: HfTokenizer;
  config: LlamaConfig;
  /** The dtype the weights were stored in (F64 counts as F32): what saving writes back by default. */
  dtype: SaveDtype;
  /** generation_config.json as read, if the directory has one. */
  generationConfig?: Record<string, unknown>;
}

/** How a model directory is written. */
export interface SaveOptions {
  /** Weight dtype (default F32). */
  dtype?: SaveDtype;
  /** generation_config.json to write; by default one from the config's token ids, as transformers derives it. */
  generationConfig?: Record<string, unknown>;
  /** The model card (README.md), if any. */
  readme?: string;
}

/** torch's names of the saved dtypes, for config.json's `torch_dtype` / `dtype`. */
export const TORCH_DTYPES: Record<SaveDtype, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a shard named by an index's weight_map: a plain file name inside the model
 * directory. Names that climb out of it (`../x`, absolute paths) are refused.
 */
function shardFile(dir: string, index: string, name: unknown): string {
  if (typeof name !== 'string' || name === '' || path.isAbsolute(name) || path.basename(name) !== name || name === '.' || name === '..') {
    throw new UserError(`${index}: weight_map names the shard ${JSON.stringify(name)}; shards must be files inside the model directory`);
  }
  return path.join(dir, name);
}

/** The first non-finite value of a weight, as an error naming the tensor; undefined when all are finite. */
export function nonFiniteWeight(name: string, data: ArrayLike<number>): string | undefined {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) return `weight '${name}' holds ${data[i]} at index ${i}`;
  }
  return undefined;
}

/**
 * Some tied checkpoints store a copy of the embedding as lm_head.weight: it is dropped. An
 * lm_head that differs from the embedding would be silently ignored, so it is an error.
 */
function dropTiedCopy(weights: Map<string, SafeTensor & { file: string }>, configFile: string): void {
  const head = weights.get('lm_head.weight');
  if (!head) return;
  const embed = weights.get('model.embed_tokens.weight');
  const same = embed !== undefined && embed.shape.join(',') === head.shape.join(',') && embed.data.every((v, i) => Object.is(v, head.data[i]));
  if (!same) {
    throw new UserError(`${configFile}: tie_word_embeddings is true, but ${head.file} holds an lm_head.weight that differs from model.embed_tokens.weight; set tie_word_embeddings to false`);
  }
  weights.delete('lm_head.weight');
}

/** Every tensor of the directory's safetensors file(s), by name. */
async function readWeights(dir: string): Promise<Map<string, SafeTensor & { file: string }>> {
  const single = path.join(dir, 'model.safetensors');
  const index = path.join(dir, 'model.safetensors.index.json');
  let files: string[];
  if (await exists(single)) files = [single];
  else if (await exists(index)) {
    const map = (await readJsonFile(index)).weight_map;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new UserError(`${index}: field 'weight_map' must be an object`);
    files = [...new Set(Object.values(map as Record<string, unknown>))].map((f) => shardFile(dir, index, f));
  } else {
    throw new UserError(`${dir}: no model.safetensors (or model.safetensors.index.json) found`);
  }
  const weights = new Map<string, SafeTensor & { file: string }>();
  for (const file of files) {
    for (const [name, tensor] of (await readSafetensors(file)).tensors) weights.set(name, { ...tensor, file });
  }
  return weights;
}

/** Loads a model directory's config and weights (and generation config), without its tokenizer. */
export async function loadModelWeights(dir: string): Promise<Omit<LoadedModel, 'tokenizer'>> {
  const configFile = path.join(dir, 'config.json');
  const config = parseConfig(await readJsonFile(configFile), configFile);
  const weights = await readWeights(dir);
  if (config.tie_word_embeddings) dropTiedCopy(weights, configFile);
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  const dtypes = new Set<string>();
  for (const [name, tensor] of weights) {
    dtypes.add(tensor.dtype === 'F64' ? 'F32' : tensor.dtype);
    if (!FLOAT_DTYPES.has(tensor.dtype)) throw new UserError(`${tensor.file}: weight '${name}' has dtype ${tensor.dtype}, expected F32, F16 or BF16`);
    const bad = nonFiniteWeight(name, tensor.data);
    if (bad) throw new UserError(`${tensor.file}: ${bad}; the model is damaged (a diverged training?)`);
    arrays.set(name, { shape: tensor.shape, data: tensor.data as Float32Array });
  }
  let model: CausalLM;
  try {
    model = CausalLM.fromArrays(config, arrays);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${dir}: ${error.message}`);
    throw error;
  }
  const generationFile = path.join(dir, 'generation_config.json');
  const generationConfig = (await exists(generationFile)) ? ((await readJsonFile(generationFile)) as Record<string, unknown>) : undefined;
  const dtype = (dtypes.size === 1 ? [...dtypes][0] : 'F32') as SaveDtype;
  return { model, config, dtype, ...(generationConfig ? { generationConfig } : {}) };
}

/** The tokenizer of a model directory (tokenizer.json), with config.json's special token ids as fallback; its ids must fit the model's vocabulary. */
export async function loadTokenizer(dir: string, config: LlamaConfig): Promise<HfTokenizer> {
  const firstId = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number | undefined;
  const tokenizer = await HfTokenizer.fromDir(dir, {
    eos: firstId(config.eos_token_id) ?? undefined,
    bos: firstId(config.bos_token_id) ?? undefined,
    pad: firstId(config.pad_token_id) ?? undefined,
  });
  checkTokenizerFits(tokenizer, config, dir);
  return tokenizer;
}

/** Loads a model directory: config, weights and tokenizer. */
export async function loadModelDir(dir: string): Promise<LoadedModel> {
  const loaded = await loadModelWeights(dir);
  let tokenizer: HfTokenizer;
  try {
    tokenizer = await loadTokenizer(dir, loaded.config);
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
  return { ...loaded, tokenizer };
}

/** A tokenizer whose ids reach past the model's vocabulary would index outside the embedding. */
export function checkTokenizerFits(tokenizer: Tokenizer, config: LlamaConfig, source: string): void {
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new UserError(`${source}: the tokenizer has ${tokenizer.vocabSize} token ids but the model's vocab_size is ${config.vocab_size}; token ids must be < vocab_size`);
  }
}

/** The config.json written for a model (HF fields, plus architectures and the saved dtype under both transformers 4's and 5's keys). */
export function configJson(model: CausalLM, tokenizer?: Tokenizer, dtype: SaveDtype = 'F32'): Record<string, unknown> {
  const c = model.config;
  return {
    ...c,
    architectures: [c.model_type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    hidden_act: 'silu',
    torch_dtype: TORCH_DTYPES[dtype],
    dtype: TORCH_DTYPES[dtype],
    ...(tokenizer ? { eos_token_id: c.eos_token_id ?? tokenizer.eosTokenId, bos_token_id: c.bos_token_id ?? tokenizer.bosTokenId ?? null } : {}),
  };
}

/** A model with a NaN or infinite weight was about to be saved (training diverged). */
export class NonFiniteWeights extends UserError {
  override name = 'NonFiniteWeights';
}

/** Encodes the model's weights as safetensors bytes (F32 unless `dtype` says otherwise); refuses non-finite weights. */
export async function weightsBytes(model: CausalLM, dtype: SaveDtype = 'F32'): Promise<Uint8Array> {
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of model.params) {
    const data = (await v.data()) as Float32Array;
    const bad = nonFiniteWeight(name, data);
    if (bad) throw new NonFiniteWeights(`refusing to save a model whose ${bad}`);
    arrays.set(name, { shape: v.shape, data });
  }
  return serializeSafetensors(arrays, { format: 'pt' }, dtype);
}

/** generation_config.json as transformers derives it from a model config: the special token ids. */
export function defaultGenerationConfig(config: LlamaConfig, tokenizer?: Tokenizer): Record<string, unknown> {
  return {
    _from_model_config: true,
    bos_token_id: config.bos_token_id ?? tokenizer?.bosTokenId ?? null,
    eos_token_id: config.eos_token_id ?? tokenizer?.eosTokenId ?? null,
    pad_token_id: config.pad_token_id ?? tokenizer?.padTokenId ?? null,
  };
}

/**
 * Writes the files of a model directory (config.json, model.safetensors, generation_config.json,
 * tokenizer files, README.md when given) into `dir`.
 */
export async function writeModelFiles(dir: string, model: CausalLM, tokenizer: Tokenizer, options: SaveOptions = {}): Promise<void> {
  if (!(tokenizer instanceof HfTokenizer)) throw new UserError('saving a model needs a Hugging Face tokenizer (HfTokenizer)');
  const dtype = options.dtype ?? 'F32';
  const weights = await weightsBytes(model, dtype);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(path.join(dir, 'config.json'), json(configJson(model, tokenizer, dtype)));
  await writeFile(path.join(dir, 'model.safetensors'), weights);
  await writeFile(path.join(dir, 'generation_config.json'), json(options.generationConfig ?? defaultGenerationConfig(model.config, tokenizer)));
  for (const [name, text] of Object.entries(tokenizer.files())) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true }); // additional_chat_templates/
    await writeFile(path.join(dir, name), text);
  }
  if (options.readme !== undefined) await writeFile(path.join(dir, 'README.md'), options.readme);
}

/** Saves a model directory atomically (see writeModelFiles). */
export async function saveModelDir(dir: string, model: CausalLM, tokenizer: Tokenizer, options: SaveOptions = {}): Promise<void> {
  await writeDirAtomic(dir, (temp) => writeModelFiles(temp, model, tokenizer, options));
}
