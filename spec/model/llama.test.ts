/**
 * The tfjs Llama model against an independent float64 reference of HF's forward pass, and the
 * log-prob bookkeeping: sums of token log-probs, masking, and no tensor leaks.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../core/runtime/backend.ts';
import { tinyConfig, type LlamaConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { sequenceLogprobs, tokenLogprobs } from '../../core/model/logprobs.ts';
import { randomArrays, randomBatch } from './helpers.ts';
import { referenceSequenceLogprob } from './reference-llama.ts';

before(async () => {
  await selectBackend('wasm');
});

const VARIANTS: Array<[string, Partial<LlamaConfig>]> = [
  ['llama, untied, GQA 4:2', { model_type: 'llama', tie_word_embeddings: false, num_key_value_heads: 2 }],
  ['llama, tied, MHA', { model_type: 'llama', tie_word_embeddings: true, num_key_value_heads: 4 }],
  ['qwen2 (q/k/v bias), tied, GQA 4:1', { model_type: 'qwen2', tie_word_embeddings: true, num_key_value_heads: 1, rope_theta: 1e6, rms_norm_eps: 1e-6 }],
  ['llama, explicit head_dim 12 != hidden/heads', { head_dim: 12, num_key_value_heads: 2 }],
];

for (const [label, overrides] of VARIANTS) {
  test(`summed log-probs match the float64 HF reference to 1e-4 relative (${label})`, () => {
    const config = tinyConfig({ vocab_size: 48, hidden_size: 32, intermediate_size: 40, ...overrides });
    const arrays = randomArrays(config, 11);
    const model = CausalLM.fromArrays(config, arrays);
    const batch = randomBatch(3, 10, config.vocab_size, 5);
    const sums = tf.tidy(() => sequenceLogprobs(model, batch).sums.arraySync()) as number[];
    for (let r = 0; r < batch.rows; r++) {
      const ids = Array.from(batch.inputIds.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)).slice(0, batch.lengths[r]);
      const mask = Array.from(batch.completionMask.subarray(r * batch.seqLen, (r + 1) * batch.seqLen)).slice(0, batch.lengths[r]);
      const expected = referenceSequenceLogprob(config, arrays, ids, mask);
      assert.ok(Math.abs(expected) > 1, 'reference log-prob is non-trivial');
      const rel = Math.abs(sums[r]! - expected) / Math.abs(expected);
      assert.ok(rel < 1e-4, `row ${r}: tfjs ${sums[r]} vs reference ${expected} (relative ${rel})`);
    }
    model.dispose();
  });
}

test('the sequence log-prob equals the sum of its masked token log-probs', () => {
  const config = tinyConfig();
  const model = CausalLM.fromArrays(config, randomArrays(config, 3));
  const batch = randomBatch(4, 12, config.vocab_size, 9);
  const [sums, counts, tokens] = tf.tidy(() => {
    const { sums, counts } = sequenceLogprobs(model, batch);
    return [sums.arraySync(), counts.arraySync(), tokenLogprobs(model, batch).arraySync()];
  }) as [number[], number[], number[][]];
  for (let r = 0; r < batch.rows; r++) {
    let total = 0;
    let count = 0;
    for (let t = 0; t < batch.seqLen; t++) {
      if (batch.completionMask[r * batch.seqLen + t]) {
        total += tokens[r]![t]!;
        count += 1;
        assert.ok(tokens[r]![t]! < 0, 'a token log-prob is negative');
      }
    }
    assert.ok(Math.abs(sums[r]! - total) < 1e-4 * Math.max(1, Math.abs(total)), `row ${r}: ${sums[r]} vs ${total}`);
    assert.equal(counts[r], count);
  }
  model.dispose();
});

test('token log-probs are normalized: exp over the vocabulary sums to 1 at every position', () => {
  const config = tinyConfig({ vocab_size: 16 });
  const model = CausalLM.fromArrays(config, randomArrays(config, 4));
  const ids = tf.tensor2d([[1, 5, 9, 3]], [1, 4], 'int32');
  const totals = tf.tidy(() => tf.sum(tf.exp(tf.logSoftmax(model.forward(ids))), -1).arraySync()) as number[][];
  for (const v of totals[0]!) assert.ok(Math.abs(v - 1) < 1e-5);
  ids.dispose();
  model.dispose();
});

test('masking ignores prompt and padding: changing masked tokens leaves the sum unchanged', () => {
  const config = tinyConfig();
  const model = CausalLM.fromArrays(config, randomArrays(config, 8));
  const T = 10;
  // Row: prompt [0, 4), completion [4, 7), padding [7, 10).
  const base = [5, 6, 7, 8, 9, 10, 11, 0, 0, 0];
  const mask = Float32Array.from(base, (_, t) => (t >= 4 && t < 7 ? 1 : 0));
  const sum = (ids: number[]) => tf.tidy(() => sequenceLogprobs(model, { rows: 1, seqLen: T, inputIds: Int32Array.from(ids), completionMask: mask }).sums.arraySync()[0]!);
  const reference = sum(base);
  const otherPadding = sum([5, 6, 7, 8, 9, 10, 11, 3, 40, 17]);
  assert.equal(otherPadding, reference, 'padding after the completion never matters (causal attention)');
  const otherCompletion = sum([5, 6, 7, 8, 9, 10, 12, 0, 0, 0]);
  assert.notEqual(otherCompletion, reference, 'a completion token does matter');
  const otherPrompt = sum([5, 6, 7, 9, 9, 10, 11, 0, 0, 0]);
  assert.notEqual(otherPrompt, reference, 'the prompt conditions the completion');
  // The prompt's own tokens are not scored: with the prompt's tokens made near-impossible, only
  // the completion terms (which we recompute by hand) enter the sum.
  const tokens = tf.tidy(() => tokenLogprobs(model, { rows: 1, seqLen: T, inputIds: Int32Array.from(base), completionMask: mask }).arraySync()[0]!);
  assert.ok(Math.abs(reference - (tokens[4]! + tokens[5]! + tokens[6]!)) < 1e-5);
  model.dispose();
});

test('forward, backward and log-probs leak no tensors (tf.memory().numTensors stays flat)', () => {
  const config = tinyConfig();
  const model = CausalLM.random(config, 2);
  const batch = randomBatch(2, 8, config.vocab_size, 1);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.neg(tf.mean(sequenceLogprobs(model, batch).sums)) as tf.Scalar), model.trainableVariables());
    value.dispose();
    tf.dispose(grads);
    tf.tidy(() => sequenceLogprobs(model, batch).sums.dataSync());
  };
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

test('random() is reproducible with a seed and differs across seeds', () => {
  const config = tinyConfig();
  const a = CausalLM.random(config, 7);
  const b = CausalLM.random(config, 7);
  const c = CausalLM.random(config, 8);
  const name = 'model.layers.0.self_attn.q_proj.weight';
  assert.deepEqual(a.params.get(name)!.dataSync(), b.params.get(name)!.dataSync());
  assert.notDeepEqual(a.params.get(name)!.dataSync(), c.params.get(name)!.dataSync());
  for (const m of [a, b, c]) m.dispose();
});

test('a weight with the wrong shape is rejected with its HF name', () => {
  const config = tinyConfig();
  const arrays = randomArrays(config, 1);
  arrays.set('model.norm.weight', { shape: [3], data: new Float32Array(3) });
  assert.throws(() => CausalLM.fromArrays(config, arrays), /weight 'model\.norm\.weight' has shape \[3\], expected \[32\]/);
});
