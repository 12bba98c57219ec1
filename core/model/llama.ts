/**
 * The Llama architecture as Hugging Face transformers defines it (modeling_llama.py), in the
 * spirit of nanoGPT's model.py: a config (config.ts), a few small functions, and one class.
 *
 *   x = embed(ids)
 *   for each layer:  x = x + attention(rmsnorm(x));  x = x + mlp(rmsnorm(x))
 *   logits = lm_head(rmsnorm(x))          (lm_head = embed_tokens when tie_word_embeddings)
 *
 * attention: q/k/v projections (+ bias for Qwen2), rotary embeddings (rotate-half convention),
 * grouped-query attention (k/v heads shared by num_attention_heads / num_key_value_heads query
 * heads), causal softmax(q k^T / sqrt(head_dim)) v, o projection.
 * mlp: down(silu(gate(x)) * up(x)).
 *
 * Weights live in `params`, keyed by HF tensor names, in HF layouts (Linear weights [out, in]).
 * Activations are kept 2-D ([B*T, features]) so every projection is one untransposed 2-D matMul,
 * the shape wasm's XNNPACK path runs fast (see core/runtime/ops.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { matMul2d, matMul2dFrozen, rmsNorm, swiGlu } from '../runtime/ops.ts';
import { attend2d, attendBatched } from './attention.ts';
import { hasQkvBias, headDim, type LlamaConfig } from './config.ts';

/** Cached keys and values of earlier positions, per layer: [B, num_key_value_heads, T_past, head_dim]. */
export interface KVCache {
  layers: Array<{ k: tf.Tensor4D; v: tf.Tensor4D }>;
  /** Number of cached positions. */
  length: number;
}

export interface ForwardOptions {
  /** Position id of every input token, [B, T] row-major; default: cache length + 0..T-1. */
  positions?: Int32Array;
  /** 1 for real keys, 0 for padding, over all keys (cached + new), [B, T_past + T]; default all 1. */
  keyMask?: Float32Array;
  /** Keys/values of earlier positions; when given, the result includes the extended cache. */
  cache?: KVCache;
  /** Compute logits for the last position of each row only ([B, 1, vocab]): saves the LM head on prompts. */
  lastOnly?: boolean;
  /**
   * Per row b, the keys [start[b], end[b]) are hidden from every query at or after end[b] (queries
   * inside the span still see it, causally). Packs two sequences with a shared prefix into one row
   * (core/data/shared-prompt.ts): the second one's tokens do not see the first one's.
   */
  hiddenSpans?: { start: Int32Array; end: Int32Array };
  /** Compute logits at these flat positions (b * T + t) only ([1, outputRows.length, vocab]): the LM head runs on those alone. */
  outputRows?: Int32Array;
}

/** HF tensor names and shapes of every parameter of a config, in HF order. */
export function parameterShapes(config: LlamaConfig): Map<string, number[]> {
  const hidden = config.hidden_size;
  const hd = headDim(config);
  const q = config.num_attention_heads * hd;
  const kv = config.num_key_value_heads * hd;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [config.vocab_size, hidden]]]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [hidden]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [q, hidden]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [kv, hidden]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [kv, hidden]);
    if (hasQkvBias(config)) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [q]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [kv]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [kv]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [hidden, q]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [hidden]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [config.intermediate_size, hidden]);
    shapes.set(`${p}.mlp.up_proj.weight`, [config.intermediate_size, hidden]);
    shapes.set(`${p}.mlp.down_proj.weight`, [hidden, config.intermediate_size]);
  }
  shapes.set('model.norm.weight', [hidden]);
  if (!config.tie_word_embeddings) shapes.set('lm_head.weight', [config.vocab_size, hidden]);
  return shapes;
}

/**
 * The one check that a set of tensors is what is expected: every expected tensor is there with its
 * shape, and there is no other tensor (an extra one would be silently dropped). Throws one
 * UserError naming the missing, unexpected and misshapen tensors; `what` names the expectation.
 */
export function checkTensorShapes(
  expected: ReadonlyMap<string, readonly number[]>,
  weights: ReadonlyMap<string, { shape: readonly number[] }>,
  what: string,
): void {
  const problems = [
    ...[...expected].filter(([name]) => !weights.has(name)).map(([name, shape]) => `missing weight '${name}' [${shape}]`),
    ...[...weights.keys()].filter((name) => !expected.has(name)).map((name) => `unexpected weight '${name}'`),
    ...[...expected]
      .filter(([name, shape]) => weights.has(name) && weights.get(name)!.shape.join(',') !== shape.join(','))
      .map(([name, shape]) => `weight '${name}' has shape [${weights.get(name)!.shape}], expected [${shape}]`),
  ];
  if (problems.length > 0) {
    const more = problems.length > 6 ? `, and ${problems.length - 6} more` : '';
    throw new UserError(`weights do not match ${what}: ${problems.slice(0, 6).join(', ')}${more}`);
  }
}

/** The weights of a config: checkTensorShapes against parameterShapes(config). */
export function checkWeightShapes(config: LlamaConfig, weights: ReadonlyMap<string, { shape: readonly number[] }>): void {
  checkTensorShapes(parameterShapes(config), weights, `the config (${config.num_hidden_layers} layers, hidden_size ${config.hidden_size})`);
}


/** HF's inverse frequencies: 1 / theta^(2i / head_dim), i = 0 .. head_dim/2 - 1 (float32). */
export function inverseFrequencies(config: LlamaConfig): Float32Array {
  const dim = headDim(config);
  return Float32Array.from({ length: dim / 2 }, (_, i) => 1 / config.rope_theta ** ((2 * i) / dim));
}

/** cos and sin tables for the given positions: [positions.length, head_dim] (freqs repeated twice). */
function rotaryTables(config: LlamaConfig, positions: Int32Array): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const invFreq = inverseFrequencies(config);
  const dim = headDim(config);
  const half = dim / 2;
  const cos = new Float32Array(positions.length * dim);
  const sin = new Float32Array(positions.length * dim);
  for (let n = 0; n < positions.length; n++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround(positions[n]! * invFreq[i]!);
      cos[n * dim + i] = cos[n * dim + half + i] = Math.cos(angle);
      sin[n * dim + i] = sin[n * dim + half + i] = Math.sin(angle);
    }
  }
  return { cos: tf.tensor2d(cos, [positions.length, dim]), sin: tf.tensor2d(sin, [positions.length, dim]) };
}

/** The constant matrix R with x @ R = rotate_half(x) = cat(-x[half:], x[:half]). */
function rotateHalfMatrix(dim: number): tf.Tensor2D {
  const half = dim / 2;
  const r = new Float32Array(dim * dim);
  for (let i = 0; i < half; i++) {
    r[(half + i) * dim + i] = -1; // out[i] = -x[half + i]
    r[i * dim + half + i] = 1; // out[half + i] = x[i]
  }
  return tf.tensor2d(r, [dim, dim]);
}

/** Applies rotary embeddings to x [N, heads * head_dim] whose rows have cos/sin rows [N, head_dim]. */
function applyRotary(x: tf.Tensor2D, heads: number, cos: tf.Tensor2D, sin: tf.Tensor2D, rotate: tf.Tensor2D): tf.Tensor3D {
  const [n] = x.shape;
  const dim = cos.shape[1];
  const rotated = matMul2d(tf.reshape(x, [n * heads, dim]), rotate);
  const x3 = tf.reshape(x, [n, heads, dim]);
  const c = tf.expandDims(cos, 1);
  const s = tf.expandDims(sin, 1);
  return tf.add(tf.mul(x3, c), tf.mul(tf.reshape(rotated, [n, heads, dim]), s));
}

/**
 * Additive attention mask [B, 1, T, T_k]: 0 where query i may see key j, -1e9 elsewhere. Query i
 * (key index past + i) sees the keys up to itself, except padding (`keyMask`) and a hidden span.
 */
function attentionMask(batch: number, t: number, past: number, options: Pick<ForwardOptions, 'keyMask' | 'hiddenSpans'>): tf.Tensor4D {
  const { keyMask, hiddenSpans } = options;
  const tk = past + t;
  const mask = new Float32Array(batch * t * tk);
  for (let b = 0; b < batch; b++) {
    const [start, end] = hiddenSpans ? [hiddenSpans.start[b]!, hiddenSpans.end[b]!] : [0, 0];
    for (let i = 0; i < t; i++) {
      const hides = past + i >= end;
      for (let j = 0; j < tk; j++) {
        const visible = j <= past + i && (keyMask === undefined || keyMask[b * tk + j]! > 0) && !(hides && j >= start && j < end);
        mask[(b * t + i) * tk + j] = visible ? 0 : -1e9;
      }
    }
  }
  return tf.tensor4d(mask, [batch, 1, t, tk]);
}

/** [B, kvHeads, T, hd] -> [B, kvHeads * groups, T, hd], each k/v head repeated for its query heads. */
function repeatKv(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  if (groups === 1) return x;
  const [b, kvHeads, t, hd] = x.shape;
  // tile's gradient exists only up to rank 4: repeat as [B * kvHeads, groups, T * hd].
  const tiled = tf.tile(tf.reshape(x, [b * kvHeads, 1, t * hd]), [1, groups, 1]);
  return tf.reshape(tiled, [b, kvHeads * groups, t, hd]);
}

/**
 * An addition to one linear layer's output, computed from the same input: y = x W^T (+ b) + delta(x).
 * LoRA's low-rank update (core/model/lora.ts) is one.
 */
export interface LinearAdapter {
  delta(x: tf.Tensor2D): tf.Tensor2D;
}

export class CausalLM {
  readonly config: LlamaConfig;
  /** The model's weights keyed by HF tensor names, in HF layouts. */
  readonly params: Map<string, tf.Variable>;
  /** The weights training updates: `params`, or only the adapters' weights once adapters are set. */
  trainable: Map<string, tf.Variable>;
  /** Adapters keyed by the HF name of the weight of the linear layer they add to. */
  private adapters = new Map<string, LinearAdapter>();
  /** False while `withAdaptersDisabled` runs: the base model alone. */
  private adaptersEnabled = true;
  private readonly rotate: tf.Tensor2D;
  /** Transposed ([in, out]) weight matrices, kept only during withInferenceWeights(). */
  private transposed?: Map<string, tf.Tensor2D>;

  constructor(config: LlamaConfig, params: Map<string, tf.Variable>) {
    checkWeightShapes(config, params);
    this.config = config;
    this.params = params;
    this.trainable = params;
    this.rotate = rotateHalfMatrix(headDim(config));
  }

  /** Weights from plain arrays keyed by HF names (checked against the config's shapes). */
  static fromArrays(config: LlamaConfig, arrays: Map<string, { shape: number[]; data: Float32Array }>): CausalLM {
    const params = new Map<string, tf.Variable>();
    try {
      checkWeightShapes(config, arrays);
      for (const [name, shape] of parameterShapes(config)) {
        const value = tf.tensor(arrays.get(name)!.data, shape, 'float32');
        params.set(name, tf.variable(value, true));
        value.dispose(); // the variable keeps the data; a kept tensor would pin it after the first assign
      }
      return new CausalLM(config, params);
    } catch (error) {
      for (const v of params.values()) v.dispose();
      throw error;
    }
  }

  /** A randomly initialized model as HF initializes one: N(0, 0.02) matrices, unit norms, zero biases. */
  static random(config: LlamaConfig, seed: number): CausalLM {
    const std = typeof config.initializer_range === 'number' ? config.initializer_range : 0.02;
    const params = new Map<string, tf.Variable>();
    let i = 0;
    for (const [name, shape] of parameterShapes(config)) {
      const init = name.endsWith('norm.weight')
        ? tf.ones(shape)
        : name.endsWith('.bias')
          ? tf.zeros(shape)
          : tf.randomNormal(shape, 0, std, 'float32', seed * 7919 + i);
      params.set(name, tf.variable(init, true));
      init.dispose();
      i += 1;
    }
    return new CausalLM(config, params);
  }

  /** Every trainable weight, in HF order. */
  trainableVariables(): tf.Variable[] {
    return [...this.trainable.values()];
  }

  /**
   * Adds `adapters` to the linear layers named by their keys (HF weight names) and makes
   * `trainable` (the adapters' weights) the only weights training updates; the base weights are
   * then frozen. The model owns the adapter weights from here on (dispose frees them).
   */
  setAdapters(adapters: Map<string, LinearAdapter>, trainable: Map<string, tf.Variable>): void {
    for (const name of adapters.keys()) {
      if (this.params.get(name)?.rank !== 2) throw new UserError(`an adapter targets '${name}', which is not a weight matrix of this model`);
    }
    this.adapters = adapters;
    this.trainable = trainable;
  }

  /** Runs `fn` on the base model, as if no adapters were set (LoRA's reference model). */
  withAdaptersDisabled<T>(fn: () => T): T {
    const enabled = this.adaptersEnabled;
    this.adaptersEnabled = false;
    try {
      return fn();
    } finally {
      this.adaptersEnabled = enabled;
    }
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    let count = 0;
    for (const v of this.params.values()) count += v.size;
    return count;
  }

  /** Logits [B, T, vocab] for int32 token ids [B, T] (right padding needs no mask: attention is causal). */
  forward(inputIds: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => this.run(inputIds, {}).logits);
  }

  /**
   * Logits [rows.length, vocab] at the flat positions `rows` (b * T + t) of int32 token ids [B, T],
   * with explicit positions and a hidden span per row (packed sequences, core/data/shared-prompt.ts).
   */
  forwardAt(inputIds: tf.Tensor2D, rows: Int32Array, options: Pick<ForwardOptions, 'positions' | 'hiddenSpans'> = {}): tf.Tensor2D {
    return tf.tidy(() => tf.reshape(this.run(inputIds, { ...options, outputRows: rows }).logits, [rows.length, this.config.vocab_size]) as tf.Tensor2D);
  }

  /**
   * The forward pass with explicit positions, key padding and a KV cache (used by generation).
   * Returns the logits and, when `options.cache` is given, the cache extended by these tokens
   * (the caller owns both and disposes them).
   */
  forwardWithCache(inputIds: tf.Tensor2D, options: ForwardOptions): { logits: tf.Tensor3D; cache: KVCache } {
    const result = tf.tidy(() => {
      const { logits, cache } = this.run(inputIds, { ...options, cache: options.cache ?? { layers: [], length: 0 } });
      return { logits, cache: cache! } as unknown as tf.TensorContainer;
    });
    return result as unknown as { logits: tf.Tensor3D; cache: KVCache };
  }

  private weight(name: string): tf.Variable {
    return this.params.get(name)!;
  }

  /**
   * Runs `fn` with every weight matrix's transpose computed once up front instead of on every
   * forward pass (generation runs hundreds of small forward passes). The weights must not change
   * while `fn` runs.
   */
  async withInferenceWeights<T>(fn: () => Promise<T>): Promise<T> {
    if (this.transposed) return fn();
    const transposed = new Map<string, tf.Tensor2D>();
    for (const [name, v] of this.params) if (v.rank === 2) transposed.set(name, tf.transpose(v as tf.Tensor2D));
    this.transposed = transposed;
    try {
      return await fn();
    } finally {
      this.transposed = undefined;
      for (const t of transposed.values()) t.dispose();
    }
  }

  /**
   * x [N, in] @ W^T (+ bias) for the HF-layout weight `name` [out, in]: one untransposed 2-D matMul,
   * plus the layer's adapter, if one is set.
   */
  private project(x: tf.Tensor2D, name: string, bias?: string): tf.Tensor2D {
    const weightT = this.transposed?.get(name) ?? tf.transpose(this.weight(name) as tf.Tensor2D);
    const frozen = this.trainable !== this.params; // adapters set: base weights get no gradient
    const base = frozen ? matMul2dFrozen(x, weightT) : matMul2d(x, weightT);
    const adapter = this.adaptersEnabled ? this.adapters.get(name) : undefined;
    const y = adapter ? tf.add<tf.Tensor2D>(base, adapter.delta(x)) : base;
    return bias ? tf.add(y, this.weight(bias)) : y;
  }

  private run(inputIds: tf.Tensor2D, options: ForwardOptions): { logits: tf.Tensor3D; cache?: KVCache } {
    const c = this.config;
    const [batch, t] = inputIds.shape;
    const past = options.cache?.length ?? 0;
    const positions = options.positions ?? Int32Array.from({ length: batch * t }, (_, n) => past + (n % t));
    // Positions, not the row length: packed rows (core/data/shared-prompt.ts) restart them.
    const longest = positions.reduce((most, p) => Math.max(most, p + 1), 0);
    if (longest > c.max_position_embeddings) {
      throw new UserError(`a sequence of ${longest} tokens is longer than the model's max_position_embeddings (${c.max_position_embeddings})`);
    }
    const { cos, sin } = rotaryTables(c, positions);
    const mask = attentionMask(batch, t, past, options);
    let x = tf.gather(this.weight('model.embed_tokens.weight'), tf.reshape(inputIds, [-1])) as tf.Tensor2D;
    const newCache: KVCache['layers'] = [];
    for (let i = 0; i < c.num_hidden_layers; i++) {
      const p = `model.layers.${i}`;
      const layerCache = options.cache?.layers[i];
      const normed = rmsNorm(x, this.weight(`${p}.input_layernorm.weight`) as tf.Tensor1D, c.rms_norm_eps);
      const { out, k, v } = this.attention(p, normed, batch, t, cos, sin, mask, layerCache);
      if (options.cache) newCache.push({ k, v });
      x = tf.add(x, out);
      const normedAgain = rmsNorm(x, this.weight(`${p}.post_attention_layernorm.weight`) as tf.Tensor1D, c.rms_norm_eps);
      x = tf.add(x, this.mlp(p, normedAgain));
    }
    let [outBatch, rows] = [batch, t];
    if (options.outputRows) {
      x = tf.gather(x, tf.tensor1d(options.outputRows, 'int32'));
      [outBatch, rows] = [1, options.outputRows.length];
    } else if (options.lastOnly && t > 1) {
      const width = x.shape[1];
      x = tf.reshape(tf.slice(tf.reshape(x, [batch, t, width]), [0, t - 1, 0], [batch, 1, width]), [batch, width]);
      rows = 1;
    }
    x = rmsNorm(x, this.weight('model.norm.weight') as tf.Tensor1D, c.rms_norm_eps);
    const head = c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
    const logits = tf.reshape(this.project(x, head), [outBatch, rows, c.vocab_size]) as tf.Tensor3D;
    return options.cache ? { logits, cache: { layers: newCache, length: past + t } } : { logits };
  }

  /** Self-attention of one layer on the normed hidden states [B*T, hidden]; returns its output and this layer's full k/v. */
  private attention(
    p: string, normed: tf.Tensor2D, batch: number, t: number, cos: tf.Tensor2D, sin: tf.Tensor2D, mask: tf.Tensor4D,
    cache?: { k: tf.Tensor4D; v: tf.Tensor4D },
  ): { out: tf.Tensor2D; k: tf.Tensor4D; v: tf.Tensor4D } {
    const c = this.config;
    const hd = headDim(c);
    const heads = c.num_attention_heads;
    const kvHeads = c.num_key_value_heads;
    const proj = (name: string) => this.project(normed, `${p}.self_attn.${name}.weight`, hasQkvBias(c) ? `${p}.self_attn.${name}.bias` : undefined);
    // [B*T, heads, hd] -> [B, heads, T, hd]
    const toHeads = (x: tf.Tensor3D, n: number) => tf.transpose(tf.reshape(x, [batch, t, n, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const q = toHeads(applyRotary(proj('q_proj'), heads, cos, sin, this.rotate), heads);
    let k = toHeads(applyRotary(proj('k_proj'), kvHeads, cos, sin, this.rotate), kvHeads);
    let v = toHeads(tf.reshape(proj('v_proj'), [batch * t, kvHeads, hd]), kvHeads);
    if (cache) {
      k = tf.concat([cache.k, k], 2);
      v = tf.concat([cache.v, v], 2);
    }
    const groups = heads / kvHeads;
    // wasm: per-head 2-D matMuls (XNNPACK) measured ~10% faster per training step than batched
    // ones; for single-token decoding steps the per-head ops cost more than they save.
    const attend = tf.getBackend() === 'wasm' && t > 1 ? attend2d : attendBatched;
    const context = attend(q, repeatKv(k, groups), repeatKv(v, groups), mask); // [B, heads, T, hd]
    const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * t, heads * hd]) as tf.Tensor2D;
    return { out: this.project(merged, `${p}.self_attn.o_proj.weight`), k, v };
  }

  /** SwiGLU MLP of the normed hidden states x [B*T, hidden]: down(silu(gate(x)) * up(x)). */
  private mlp(p: string, x: tf.Tensor2D): tf.Tensor2D {
    const gate = this.project(x, `${p}.mlp.gate_proj.weight`);
    const up = this.project(x, `${p}.mlp.up_proj.weight`);
    return this.project(swiGlu(gate, up), `${p}.mlp.down_proj.weight`);
  }

  /** Frees the weights (adapter weights included). */
  dispose(): void {
    for (const v of new Set([...this.params.values(), ...this.trainable.values()])) v.dispose();
    this.rotate.dispose();
  }
}

/** Disposes every tensor of a KV cache. */
export function disposeCache(cache: KVCache): void {
  for (const { k, v } of cache.layers) {
    k.dispose();
    v.dispose();
  }
}
