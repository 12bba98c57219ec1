/**
 * The model config: Hugging Face's `config.json` for Llama-family models, with HF's field names and
 * defaults (LlamaConfig / Qwen2Config). Validated with ajv; unsupported variants (rope scaling,
 * sliding windows, biased o_proj / MLP, activations other than SiLU) are rejected by name.
 */
import { Ajv } from 'ajv';
import { UserError } from '../errors.ts';

export interface LlamaConfig {
  model_type: 'llama' | 'qwen2';
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  /** Key/value heads for grouped-query attention; defaults to num_attention_heads. */
  num_key_value_heads: number;
  /** Per-head width; defaults to hidden_size / num_attention_heads. */
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  max_position_embeddings: number;
  hidden_act?: string;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | null;
  /** Any other HF fields are kept as they are (and written back on save). */
  [key: string]: unknown;
}

const positiveInt = { type: 'integer', minimum: 1 } as const;
const tokenId = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }] } as const;

const schema = {
  type: 'object',
  required: ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads'],
  properties: {
    model_type: { enum: ['llama', 'qwen2'], default: 'llama' },
    vocab_size: positiveInt,
    hidden_size: positiveInt,
    intermediate_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    num_key_value_heads: positiveInt,
    head_dim: positiveInt,
    rms_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-6 },
    rope_theta: { type: 'number', exclusiveMinimum: 0, default: 10000 },
    tie_word_embeddings: { type: 'boolean', default: false },
    max_position_embeddings: { ...positiveInt, default: 2048 },
    hidden_act: { const: 'silu' },
    bos_token_id: tokenId,
    eos_token_id: { anyOf: [tokenId, { type: 'array', items: { type: 'integer', minimum: 0 } }] },
    pad_token_id: tokenId,
    rope_scaling: { type: 'null' },
    use_sliding_window: { const: false },
    attention_bias: { const: false },
    mlp_bias: { const: false },
  },
  additionalProperties: true,
};

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: false });
const validate = ajv.compile(schema);

const UNSUPPORTED: Record<string, string> = {
  rope_scaling: 'rope_scaling is not supported (only plain RoPE); remove it or set it to null',
  use_sliding_window: 'sliding-window attention is not supported',
  attention_bias: 'attention_bias (bias on all four attention projections) is not supported',
  mlp_bias: 'mlp_bias is not supported',
  hidden_act: "only hidden_act 'silu' is supported",
};

/** Validates a parsed config.json (a copy is returned, with HF defaults filled in). */
export function parseConfig(value: unknown, source = 'config.json'): LlamaConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${source}: expected a JSON object`);
  const config = structuredClone(value) as Record<string, unknown>;
  readRopeParameters(config, source);
  if (!validate(config)) {
    const error = validate.errors![0]!;
    const field = error.instancePath.replace(/^\//, '').split('/')[0] || String(error.params.missingProperty ?? '');
    if (error.keyword === 'required') throw new UserError(`${source}: missing required field '${field}'`);
    if (field in UNSUPPORTED) throw new UserError(`${source}: field '${field}': ${UNSUPPORTED[field]}`);
    if (field === 'model_type') throw new UserError(`${source}: field 'model_type' must be 'llama' or 'qwen2' (got ${JSON.stringify(config.model_type)})`);
    throw new UserError(`${source}: field '${field}' ${error.message} (got ${JSON.stringify(config[field])})`);
  }
  const c = config as LlamaConfig;
  c.num_key_value_heads ??= c.num_attention_heads;
  const dim = headDim(c);
  if (!Number.isInteger(dim)) {
    throw new UserError(`${source}: hidden_size ${c.hidden_size} is not divisible by num_attention_heads ${c.num_attention_heads} (set head_dim)`);
  }
  if (dim % 2 !== 0) throw new UserError(`${source}: head_dim must be even for rotary embeddings (got ${dim})`);
  if (c.num_attention_heads % c.num_key_value_heads !== 0) {
    throw new UserError(`${source}: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${c.num_key_value_heads}`);
  }
  const count = parameterCount(c);
  if (count > MAX_PARAMETERS) {
    throw new UserError(
      `${source}: this config has ${count.toExponential(2)} parameters (vocab_size ${c.vocab_size}, hidden_size ${c.hidden_size}, ` +
        `intermediate_size ${c.intermediate_size}, num_hidden_layers ${c.num_hidden_layers}); the limit is ${MAX_PARAMETERS.toExponential(0)} ` +
        '(4 GB of float32 weights, all a wasm backend can address)',
    );
  }
  return c;
}

/**
 * transformers 5 writes rotary settings as `rope_parameters: { rope_type, rope_theta }` instead of a
 * top-level `rope_theta`: read the base from there; only the default (unscaled) rope is supported.
 */
function readRopeParameters(config: Record<string, unknown>, source: string): void {
  const rope = config.rope_parameters;
  if (rope === undefined || rope === null) return;
  if (typeof rope !== 'object' || Array.isArray(rope)) throw new UserError(`${source}: field 'rope_parameters' must be an object`);
  const { rope_type: type = 'default', rope_theta: theta } = rope as Record<string, unknown>;
  if (type !== 'default') throw new UserError(`${source}: field 'rope_parameters': rope_type '${String(type)}' is not supported (only plain RoPE)`);
  if (theta !== undefined) {
    if (config.rope_theta !== undefined && config.rope_theta !== theta) {
      throw new UserError(`${source}: rope_theta ${String(config.rope_theta)} and rope_parameters.rope_theta ${String(theta)} disagree`);
    }
    config.rope_theta = theta;
  }
}

/** The most parameters a model may have; checked from the config, before anything is allocated. */
export const MAX_PARAMETERS = 1e9;

/** The number of parameters a config describes (the sizes of parameterShapes in llama.ts), by arithmetic. */
export function parameterCount(c: LlamaConfig): number {
  const h = c.hidden_size;
  const hd = headDim(c);
  const q = c.num_attention_heads * hd;
  const kv = c.num_key_value_heads * hd;
  const bias = hasQkvBias(c) ? q + 2 * kv : 0;
  const layer = 2 * h + q * h + 2 * kv * h + bias + h * q + 3 * c.intermediate_size * h;
  return c.vocab_size * h * (c.tie_word_embeddings ? 1 : 2) + c.num_hidden_layers * layer + h;
}

/** head_dim, defaulting to hidden_size / num_attention_heads as HF does. */
export function headDim(config: LlamaConfig): number {
  return config.head_dim ?? config.hidden_size / config.num_attention_heads;
}

/** Whether q/k/v projections carry a bias (Qwen2). */
export function hasQkvBias(config: LlamaConfig): boolean {
  return config.model_type === 'qwen2';
}

/** A small config for tests and benchmarks; any field may be overridden. */
export function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return parseConfig({
    model_type: 'llama', vocab_size: 64, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000,
    tie_word_embeddings: false, max_position_embeddings: 256, hidden_act: 'silu', bos_token_id: 1, eos_token_id: 2,
    ...overrides,
  });
}
