/**
 * core/model/attention.ts: the attention kernel with a written-out, recomputing gradient.
 * - Its value and its gradients w.r.t. q, k and v equal plain autodiff of
 *   softmax(q k^T / sqrt(hd) + mask) v, per head (wasm's path) and batched, on wasm and cpu, with
 *   padding masks and with cached keys (T_k > T). Tolerance: float32 on both sides with different
 *   operation orders, |new - plain| <= 1e-5 + 1e-4 * max|plain| per element.
 * - Through the whole model, the gradient of the log-probs w.r.t. the attention weights (and the
 *   RMSNorm and SwiGLU weights, whose gradients core/runtime/ops.ts also writes out) equals float64
 *   central differences of the independent HF reference (spec/model/reference-llama.ts).
 * - One training gradient step keeps no [B, H, T, T] score tensors alive: tf.profile's peakBytes
 *   stays under a bound linear in T (the plain autodiff attention keeps ~13 score tensors per layer
 *   alive and exceeds it 2x), and leaks no tensor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { attend2d, attendBatched } from '../../core/model/attention.ts';
import { headDim, tinyConfig, type LlamaConfig } from '../../core/model/config.ts';
import { CausalLM, parameterShapes } from '../../core/model/llama.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { prng, randomArrays, randomBatch } from './helpers.ts';
import { referenceSequenceLogprob } from './reference-llama.ts';

/** An additive mask [B, 1, T, T_k]: causal with `past` cached keys, key j of row b hidden where keyMask[b][j] = 0. */
function additiveMask(batch: number, t: number, past: number, keyMask: number[][]): tf.Tensor4D {
  const tk = past + t;
  const data = new Float32Array(batch * t * tk);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < tk; j++) data[(b * t + i) * tk + j] = j <= past + i && keyMask[b]![j]! > 0 ? 0 : -1e9;
    }
  }
  return tf.tensor4d(data, [batch, 1, t, tk]);
}

/** The definition, differentiated by tfjs's autodiff. */
function plainAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(q.shape[3])), mask);
  return tf.matMul(tf.softmax(scores), v);
}

type Attention = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D) => tf.Tensor4D;

/** The value and d(sum(out * dy))/d(q, k, v) of `attention`, as flat arrays. */
function valueAndGrads(attention: Attention, q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, dy: tf.Tensor4D): Float32Array[] {
  return tf.tidy(() => {
    const value = attention(q, k, v, mask).dataSync() as Float32Array;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(attention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, mask), dy)))([q, k, v]);
    return [value, ...grads.map((g) => g.dataSync() as Float32Array)];
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const scale = expected.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  assert.ok(scale > 0, `${label} is not all zero`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-5 + 1e-4 * scale, `${label}[${i}]: ${actual[i]} vs plain ${e}`));
}

const CASES: Array<{ label: string; batch: number; heads: number; t: number; past: number; hd: number }> = [
  { label: 'self-attention, padded rows', batch: 3, heads: 2, t: 9, past: 0, hd: 4 },
  { label: 'a KV cache: 5 new queries over 12 keys', batch: 2, heads: 3, t: 5, past: 7, hd: 8 },
  { label: 'one decoding step over 6 cached keys', batch: 2, heads: 2, t: 1, past: 6, hd: 4 },
  // 2 * 256 * 256 scores per batch row: the batched path works in blocks of 2 rows and 1 row.
  { label: 'long rows: the batched path works in several blocks', batch: 3, heads: 2, t: 256, past: 0, hd: 4 },
];

for (const backend of ['wasm', 'cpu']) {
  for (const c of CASES) {
    test(`attention's value and gradients w.r.t. q, k, v equal plain autodiff's, per head and batched (${backend}, ${c.label})`, async () => {
      await selectBackend(backend);
      const before = tf.memory().numTensors;
      const tk = c.past + c.t;
      const rand = prng(c.batch * 100 + tk);
      // Row 0 sees every key; later rows have padding on the left (hidden keys) and on the right.
      const keyMask = Array.from({ length: c.batch }, (_, b) => Array.from({ length: tk }, (_, j) => (b === 0 || (j >= b && j < tk - b) ? 1 : 0)));
      const mask = additiveMask(c.batch, c.t, c.past, keyMask);
      const normal = (shape: [number, number, number, number], seed: number) => tf.randomNormal(shape, 0, 1.5, 'float32', seed) as tf.Tensor4D;
      const seed = Math.floor(rand() * 1e6);
      const q = normal([c.batch, c.heads, c.t, c.hd], seed);
      const k = normal([c.batch, c.heads, tk, c.hd], seed + 1);
      const v = normal([c.batch, c.heads, tk, c.hd], seed + 2);
      const dy = normal([c.batch, c.heads, c.t, c.hd], seed + 3);
      const expected = valueAndGrads(plainAttention, q, k, v, mask, dy);
      for (const [name, attention] of [['per head', attend2d], ['batched', attendBatched]] as const) {
        const actual = valueAndGrads(attention, q, k, v, mask, dy);
        ['value', 'dq', 'dk', 'dv'].forEach((what, i) => assertClose(actual[i]!, expected[i]!, `${name} ${what}`));
      }
      tf.dispose([q, k, v, dy, mask]);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
}

test('through the whole model, the gradient w.r.t. the attention, norm and MLP weights equals float64 central differences of the HF reference (wasm and cpu)', async () => {
  const config = tinyConfig({ model_type: 'qwen2', vocab_size: 24, hidden_size: 16, intermediate_size: 24, num_attention_heads: 4, num_key_value_heads: 2 });
  const arrays = randomArrays(config, 5);
  const batch = randomBatch(3, 9, config.vocab_size, 8); // right padding: the model's causal mask
  const rowWeights = [1, -0.5, 2];
  const names = [
    ...['self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.q_proj.bias', 'self_attn.k_proj.bias', 'input_layernorm.weight', 'post_attention_layernorm.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight']
      .flatMap((n) => [0, 1].map((l) => `model.layers.${l}.${n}`)),
    'model.norm.weight',
  ];
  const rand = prng(3);
  const picks = names.flatMap((name) => Array.from({ length: 3 }, () => ({ name, index: Math.floor(rand() * arrays.get(name)!.data.length) })));
  // L = sum_r w_r * logp(row r), in float64 through the reference, for finite differences.
  const rows = Array.from({ length: batch.rows }, (_, r) => {
    const at = (a: ArrayLike<number>) => Array.from(a).slice(r * batch.seqLen, r * batch.seqLen + batch.lengths[r]!);
    return { ids: at(batch.inputIds), mask: at(batch.completionMask) };
  });
  const weights64 = new Map([...arrays].map(([name, a]) => [name, { shape: a.shape, data: Float64Array.from(a.data) }]));
  const objective64 = () => rows.reduce((s, row, r) => s + rowWeights[r]! * referenceSequenceLogprob(config, weights64, row.ids, row.mask), 0);
  const h = 1e-5;
  const expected = picks.map(({ name, index }) => {
    const data = weights64.get(name)!.data;
    const original = data[index]!;
    data[index] = original + h;
    const up = objective64();
    data[index] = original - h;
    const down = objective64();
    data[index] = original;
    return (up - down) / (2 * h);
  });
  const scale = expected.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
  assert.ok(scale > 0.01, 'the picked weights have non-trivial gradients');
  for (const backend of ['wasm', 'cpu']) {
    await selectBackend(backend);
    const model = CausalLM.fromArrays(config, arrays);
    const variables = model.trainableVariables();
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.mul(sequenceLogprobs(model, batch).sums, tf.tensor1d(rowWeights))) as tf.Scalar), variables);
    const byName = new Map([...model.params].map(([name, variable]) => [name, grads[variable.name]!.dataSync() as Float32Array]));
    picks.forEach(({ name, index }, i) => {
      const actual = byName.get(name)![index]!;
      assert.ok(Math.abs(actual - expected[i]!) <= 2e-4 * scale + 1e-5, `${backend} ${name}[${index}]: ${actual} vs float64 ${expected[i]}`);
    });
    value.dispose();
    tf.dispose(grads);
    model.dispose();
  }
});

/** tf.profile's peakBytes of one gradient step of the summed log-probs, and the tensor count around it. */
async function gradientStepPeak(config: LlamaConfig, rows: number, seqLen: number): Promise<{ peakBytes: number; leaked: number }> {
  const model = CausalLM.random(config, 1);
  const batch = randomBatch(rows, seqLen, config.vocab_size, 2);
  batch.completionMask.fill(1);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(sequenceLogprobs(model, batch).sums) as tf.Scalar, model.trainableVariables());
    value.dispose();
    tf.dispose(grads);
  };
  const before = tf.memory().numTensors;
  const { peakBytes } = await tf.profile(step);
  const leaked = tf.memory().numTensors - before;
  model.dispose();
  return { peakBytes, leaked };
}

test('a gradient step keeps memory linear in T: peakBytes under 300 activation-sized tensors per layer, 8 score blocks and the weights (wasm and cpu)', async () => {
  // Scores dominate at this shape: one [B, H, T, T] tensor is H * T / hidden = 64 activation-sized
  // ([B * T, hidden]) tensors. What the step must keep (activations, their gradients, q/k/v, the
  // MLP's [B * T, intermediate] tensors) is linear in T: measured ~160 activations per layer on
  // wasm (tfjs keeps every gradient of the backward pass until it ends). On top, a few score
  // blocks of the block being computed are alive: at most one batch row's [H, T, T] (the batched
  // path on cpu; one [T, T] per head on wasm). Plain autodiff attention kept ~13 whole score
  // tensors per layer alive on top: 57 MB on wasm and 52 MB on cpu here, against a bound of 28 MB.
  const config = tinyConfig({ vocab_size: 32, hidden_size: 16, intermediate_size: 32, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 256 });
  const rows = 2;
  const seqLen = 256;
  const activation = rows * seqLen * config.hidden_size * 4;
  const scoreBlock = config.num_attention_heads * seqLen * seqLen * 4;
  const weights = 4 * [...parameterShapes(config).values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  const bound = 300 * config.num_hidden_layers * activation + 8 * scoreBlock + 4 * weights;
  assert.equal(rows * scoreBlock, 64 * activation, 'the shape the bound was derived for');
  assert.equal(headDim(config), 4);
  for (const backend of ['wasm', 'cpu']) {
    await selectBackend(backend);
    const { peakBytes, leaked } = await gradientStepPeak(config, rows, seqLen);
    assert.ok(peakBytes < bound, `${backend}: peakBytes ${(peakBytes / 1e6).toFixed(1)} MB >= bound ${(bound / 1e6).toFixed(1)} MB`);
    assert.equal(leaked, 0, `${backend}: tensors flat over gradient steps`);
  }
});
