/**
 * LoRA adapters on disk, as PEFT's `save_pretrained` writes them, so `PeftModel.from_pretrained`
 * loads them:
 *
 *   adapter_config.json         LoraConfig fields (peft_type LORA, r, lora_alpha, lora_dropout,
 *                               target_modules, base_model_name_or_path, task_type CAUSAL_LM, ...)
 *   adapter_model.safetensors   base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight [r, in]
 *                               and ...lora_B.weight [out, r], F32 (PEFT keeps adapters in float32)
 *
 * Reading accepts what prefopt can apply: plain LoRA (no DoRA, no bias, no per-layer rank or alpha
 * patterns, no modules_to_save); rsLoRA's scaling is supported.
 */
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { writeDirAtomic } from '../io/atomic.ts';
import { loadModelDir, loadModelWeights, loadTokenizer, saveModelDir, type LoadedModel } from './checkpoint.ts';
import { HfTokenizer, readJsonFile } from './hf-tokenizer.ts';
import type { CausalLM } from './llama.ts';
import { LoraAdapters, type LoraSettings } from './lora.ts';
import { readSafetensors, serializeSafetensors, type SaveDtype } from './safetensors.ts';
import type { Tokenizer } from '../data/tokenizer.ts';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** adapter_config.json for `settings` (PEFT 0.19's LoraConfig fields, defaults where prefopt has no choice). */
export function adapterConfigJson(settings: LoraSettings, baseModel: string): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: settings.alpha,
    lora_bias: false,
    lora_dropout: settings.dropout,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: settings.r,
    rank_pattern: {},
    revision: null,
    target_modules: settings.targetModules,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: settings.useRslora ?? false,
  };
}

/** What prefopt cannot apply, by field: the value it requires. */
const UNSUPPORTED: Array<[field: string, ok: (v: unknown) => boolean, what: string]> = [
  ['use_dora', (v) => !v, 'DoRA is not supported'],
  ['bias', (v) => v === undefined || v === 'none', "only bias 'none' is supported"],
  ['lora_bias', (v) => !v, 'lora_bias is not supported'],
  ['fan_in_fan_out', (v) => !v, 'fan_in_fan_out is not supported (Llama layers are [out, in])'],
  ['modules_to_save', (v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0), 'modules_to_save is not supported'],
  ['layers_to_transform', (v) => v === undefined || v === null, 'layers_to_transform is not supported'],
  ['rank_pattern', (v) => v === undefined || v === null || Object.keys(v as object).length === 0, 'rank_pattern is not supported'],
  ['alpha_pattern', (v) => v === undefined || v === null || Object.keys(v as object).length === 0, 'alpha_pattern is not supported'],
];

/** Validates a parsed adapter_config.json into LoRA settings (and the base model it names). */
export function parseAdapterConfig(value: unknown, source: string): { settings: LoraSettings; baseModel?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${source}: expected a JSON object`);
  const c = value as Record<string, unknown>;
  if (c.peft_type !== 'LORA') throw new UserError(`${source}: field 'peft_type' must be 'LORA' (got ${JSON.stringify(c.peft_type)})`);
  for (const [field, ok, what] of UNSUPPORTED) if (!ok(c[field])) throw new UserError(`${source}: field '${field}': ${what}`);
  const r = c.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r < 1) throw new UserError(`${source}: field 'r' must be a positive integer (got ${JSON.stringify(r)})`);
  const alpha = c.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !(alpha > 0)) throw new UserError(`${source}: field 'lora_alpha' must be a positive number (got ${JSON.stringify(alpha)})`);
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || dropout < 0 || dropout >= 1) throw new UserError(`${source}: field 'lora_dropout' must be in [0, 1) (got ${JSON.stringify(dropout)})`);
  const targets = c.target_modules;
  const isList = Array.isArray(targets) && targets.length > 0 && targets.every((t) => typeof t === 'string');
  if (!isList && typeof targets !== 'string') throw new UserError(`${source}: field 'target_modules' must be a list of module names or a regular expression`);
  const base = c.base_model_name_or_path;
  return {
    settings: { r, alpha, dropout, targetModules: targets as string[] | string, useRslora: c.use_rslora === true },
    ...(typeof base === 'string' && base !== '' ? { baseModel: base } : {}),
  };
}

/** Writes adapter_config.json, adapter_model.safetensors and (optionally) tokenizer files and README.md into `dir`. */
export async function writeAdapterFiles(
  dir: string,
  adapters: LoraAdapters,
  options: { baseModel: string; tokenizer?: Tokenizer; readme?: string },
): Promise<void> {
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of adapters.variables()) arrays.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
  await writeFile(path.join(dir, ADAPTER_CONFIG), `${JSON.stringify(adapterConfigJson(adapters.settings, options.baseModel), null, 2)}\n`);
  await writeFile(path.join(dir, ADAPTER_WEIGHTS), serializeSafetensors(arrays, { format: 'pt' }));
  if (options.tokenizer instanceof HfTokenizer) {
    for (const [name, text] of Object.entries(options.tokenizer.files())) await writeFile(path.join(dir, name), text);
  }
  if (options.readme !== undefined) await writeFile(path.join(dir, 'README.md'), options.readme);
}

/** Saves an adapter directory atomically (see writeAdapterFiles). */
export async function saveAdapterDir(dir: string, adapters: LoraAdapters, options: { baseModel: string; tokenizer?: Tokenizer; readme?: string }): Promise<void> {
  await writeDirAtomic(dir, (temp) => writeAdapterFiles(temp, adapters, options));
}

/** Whether `dir` holds a PEFT adapter (adapter_config.json). */
export async function isAdapterDir(dir: string): Promise<boolean> {
  return access(path.join(dir, ADAPTER_CONFIG)).then(() => true, () => false);
}

/** Reads an adapter directory and sets its adapters on `model` (whose shapes they must fit). */
export async function loadAdapterDir(dir: string, model: CausalLM): Promise<{ adapters: LoraAdapters; baseModel?: string }> {
  const configFile = path.join(dir, ADAPTER_CONFIG);
  const { settings, baseModel } = parseAdapterConfig(await readJsonFile(configFile), configFile);
  const weightsFile = path.join(dir, ADAPTER_WEIGHTS);
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, tensor] of (await readSafetensors(weightsFile)).tensors) {
    if (tensor.data instanceof Int32Array) throw new UserError(`${weightsFile}: adapter weight '${name}' has dtype ${tensor.dtype}, expected a float dtype`);
    arrays.set(name, { shape: tensor.shape, data: tensor.data });
  }
  const adapters = LoraAdapters.attachArrays(model, settings, arrays, weightsFile);
  return { adapters, ...(baseModel ? { baseModel } : {}) };
}

/**
 * Folds the adapter in `adapterDir` into the base model in `baseDir` and saves the result as a full
 * model directory `outDir` (in the base's dtype unless `dtype` says otherwise, with the base's
 * generation config and tokenizer). Returns what was merged, for messages.
 */
export async function mergeAdapterDir(options: { baseDir: string; adapterDir: string; outDir: string; dtype?: SaveDtype; readme?: string }): Promise<{ layers: number; dtype: SaveDtype }> {
  const { model, tokenizer, dtype, generationConfig } = await loadModelDir(options.baseDir);
  try {
    const { adapters } = await loadAdapterDir(options.adapterDir, model);
    const layers = adapters.layers.size;
    adapters.merge(model);
    const saveDtype = options.dtype ?? dtype;
    await saveModelDir(options.outDir, model, tokenizer, { dtype: saveDtype, generationConfig, readme: options.readme });
    return { layers, dtype: saveDtype };
  } finally {
    model.dispose();
  }
}

/**
 * The weights of a model directory, or of an adapter directory set on the base model it names
 * (base_model_name_or_path): what `--model` accepts in the commands that run a model.
 */
export async function loadWeightsOrAdapter(dir: string): Promise<Omit<LoadedModel, 'tokenizer'>> {
  if (!(await isAdapterDir(dir))) return loadModelWeights(dir);
  const configFile = path.join(dir, ADAPTER_CONFIG);
  const { baseModel } = parseAdapterConfig(await readJsonFile(configFile), configFile);
  if (baseModel === undefined) throw new UserError(`${configFile} names no base_model_name_or_path: merge it with prefopt merge --model BASE`);
  const loaded = await loadModelWeights(baseModel);
  try {
    await loadAdapterDir(dir, loaded.model);
    return loaded;
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
}

/** As loadWeightsOrAdapter, with the tokenizer (an adapter directory's own, else its base model's). */
export async function loadModelOrAdapter(dir: string): Promise<LoadedModel> {
  const loaded = await loadWeightsOrAdapter(dir);
  try {
    const own = !(await isAdapterDir(dir)) || (await access(path.join(dir, 'tokenizer.json')).then(() => true, () => false));
    const tokenizerDir = own ? dir : parseAdapterConfig(await readJsonFile(path.join(dir, ADAPTER_CONFIG)), dir).baseModel!;
    return { ...loaded, tokenizer: await loadTokenizer(tokenizerDir, loaded.config) };
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
}
