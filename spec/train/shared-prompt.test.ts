/**
 * Prompt sharing (train.sharePrompt, core/data/shared-prompt.ts) against the two-sequence path, on
 * random small models (Llama with grouped-query attention, Qwen2 with q/k/v biases), pairs of
 * varying prompt lengths in one padded batch, prompts that differ after truncation, shared first
 * answer tokens.
 *
 * Tolerance: the packed rows reach the same attention over the same keys, but in another order
 * and in matMuls of other shapes, and the scored log-probs are summed in another order: the
 * results differ by float32 rounding only. We require |packed - two-sequence| <= 1e-5 * |x| + 1e-5
 * for summed log-probs (sums of ~10 log-probs of size ~4; measured ~1e-6), per element
 * |dg| <= 1e-5 * max|g| of that weight for the DPO loss's gradients (measured <= 6e-7), and after
 * three AdamW steps at lr 1e-2, beyond 1e-6 + 1e-5 |w|: every weight within 0.05 lr and all but
 * 0.1% within 1e-3 lr. AdamW divides by sqrt(v), so a rounding difference in a near-zero gradient
 * becomes a visible part of that weight's update (measured: 1 weight of 14336 at 0.03 lr, 3 above
 * 1e-3 lr). The gradient test is the sharp one: a wrong mask, position or source moves gradients by
 * far more (the sensitivity test shows it on the log-probs).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { PackedPairs, PreferenceBatch } from '../../core/data/batch.ts';
import { collatePreference, type TokenizedPair } from '../../core/data/collate.ts';
import { createLossRegistry, resolveParams, type LossParams, type PreferenceLoss } from '../../core/loss/index.ts';
import { tinyConfig, type LlamaConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { packedLogprobs, preferenceLogprobs } from '../../core/model/logprobs.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { computeGradients } from '../../core/train/gradients.ts';
import { preferenceObjective, type ReferenceLogps } from '../../core/train/objectives.ts';
import { AdamW } from '../../core/train/optimizer.ts';
import { batchLogps } from '../../core/train/reference.ts';
import { loadStage, type TrainingStage } from '../../core/train/stages.ts';
import { startingModel } from '../../core/train/start-model.ts';
import { randomArrays, randomPairs } from '../model/helpers.ts';
import { tempDir, tinyRun } from './helpers.ts';

let loss: PreferenceLoss<any>;
let params: LossParams;
before(async () => {
  await selectBackend('wasm');
  loss = (await createLossRegistry()).get('dpo');
  params = resolveParams(loss, { beta: 0.5 });
});

const VARIANTS: Array<[string, Partial<LlamaConfig>]> = [
  ['llama, untied, GQA 4:2', { model_type: 'llama', tie_word_embeddings: false, num_key_value_heads: 2 }],
  ['qwen2 (q/k/v bias), tied, GQA 4:1', { model_type: 'qwen2', tie_word_embeddings: true, num_key_value_heads: 1, rope_theta: 1e6, rms_norm_eps: 1e-6 }],
];
const configOf = (overrides: Partial<LlamaConfig>) => tinyConfig({ vocab_size: 40, hidden_size: 32, intermediate_size: 40, num_hidden_layers: 2, ...overrides });
const modelOf = (config: LlamaConfig, seed = 11) => CausalLM.fromArrays(config, randomArrays(config, seed));
const batches = (pairs: readonly TokenizedPair[]) => ({
  two: collatePreference(pairs, { padTokenId: 0, sharePrompt: false }),
  packed: collatePreference(pairs, { padTokenId: 0 }),
});

function logps(model: CausalLM, batch: PreferenceBatch) {
  return tf.tidy(() => {
    const { sums, counts, correct } = preferenceLogprobs(model, batch, { accuracy: true });
    return { sums: Array.from(sums.dataSync()), counts: Array.from(counts.dataSync()), correct: Array.from(correct!.dataSync()) };
  });
}

function assertClose(actual: number[], expected: number[], what: string, rel = 1e-5, abs = 1e-5): void {
  assert.equal(actual.length, expected.length, what);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= rel * Math.abs(e) + abs, `${what}[${i}]: packed ${actual[i]}, two sequences ${e}`));
}

for (const [label, overrides] of VARIANTS) {
  test(`packed log-probs equal the two-sequence ones: chosen, rejected, counts, correct tokens (${label})`, () => {
    const model = modelOf(configOf(overrides));
    const pairs = randomPairs(6, 5);
    const { two, packed } = batches(pairs);
    assert.ok(packed.packed, 'the batch is packed');
    assert.ok(packed.packed.pairs * packed.packed.seqLen < two.tokens.rows * two.tokens.seqLen, 'packing feeds fewer tokens');
    const expected = logps(model, two);
    const actual = logps(model, packed);
    assert.ok(expected.sums.every((s) => s < -1), 'log-probs are non-trivial');
    assertClose(actual.sums, expected.sums, 'sums');
    assert.deepEqual(actual.counts, expected.counts);
    assert.deepEqual(actual.correct, expected.correct);
    const reference = batchLogps(model, packed);
    assertClose([...reference.chosen, ...reference.rejected], expected.sums, 'batchLogps');
    model.dispose();
  });
}

/** The packed log-probs with the packing altered by `change`. */
function alteredSums(model: CausalLM, packed: PackedPairs, change: (p: PackedPairs) => Partial<PackedPairs>): number[] {
  return tf.tidy(() => Array.from(packedLogprobs(model, { ...packed, ...change(packed) }).sums.dataSync()));
}

test('the comparison is sensitive: letting rejected tokens see the chosen answer, not restarting positions, or predicting the first rejected token from the last chosen one each changes the rejected log-probs', () => {
  const model = modelOf(configOf(VARIANTS[0]![1]));
  const pairs = randomPairs(4, 9);
  const { two, packed } = batches(pairs);
  const expected = logps(model, two).sums;
  const p = packed.packed!;
  const rejected = (sums: number[]) => sums.slice(p.pairs);
  const farFrom = (sums: number[], what: string) =>
    assert.ok(rejected(sums).some((s, i) => Math.abs(s - rejected(expected)[i]!) > 1e-3), `${what} goes unnoticed`);
  farFrom(alteredSums(model, p, (q) => ({ chosenEnd: q.chosenStart })), 'a mask without the hidden chosen span');
  farFrom(alteredSums(model, p, (q) => ({ positions: q.positions.map((_, n) => n % q.seqLen) })), 'positions that do not restart');
  farFrom(
    alteredSums(model, p, (q) => ({
      sources: q.sources.map((s, n) => {
        const row = Math.floor(s / q.seqLen);
        const firstRejected = q.owners[n]! >= q.pairs && s % q.seqLen === q.chosenStart[row]! - 1;
        return firstRejected ? row * q.seqLen + q.chosenEnd[row]! - 1 : s;
      }),
    })),
    'a plain shift by one',
  );
  // Unaltered, the same tolerance as above holds.
  assertClose(alteredSums(model, p, () => ({})), expected, 'sums');
  model.dispose();
});

test('a packed row may be longer than max_position_embeddings when every sequence fits: positions are checked, not the row length', () => {
  const config = configOf({ ...VARIANTS[0]![1], max_position_embeddings: 8 });
  const model = modelOf(config);
  const pairs: TokenizedPair[] = [{ chosen: { ids: [1, 5, 6, 7, 9, 10, 11, 12], promptLength: 2 }, rejected: { ids: [1, 5, 8, 3, 4, 13, 14, 15], promptLength: 2 } }];
  const { two, packed } = batches(pairs);
  assert.equal(packed.packed!.seqLen, 14);
  assertClose(logps(model, packed).sums, logps(model, two).sums, 'sums');
  const tooLong = collatePreference([{ ...pairs[0]!, chosen: { ids: [...pairs[0]!.chosen.ids, 16], promptLength: 2 } }], { padTokenId: 0 });
  assert.throws(() => logps(model, tooLong), /a sequence of 9 tokens is longer than the model's max_position_embeddings \(8\)/);
  model.dispose();
});

const referenceOf = (batch: PreferenceBatch): ReferenceLogps => ({
  chosen: Float32Array.from({ length: batch.pairs }, (_, i) => -20 - i),
  rejected: Float32Array.from({ length: batch.pairs }, (_, i) => -22 + 0.7 * i),
});
const gradientsOf = (model: CausalLM, batch: PreferenceBatch) => computeGradients(model, () => preferenceObjective(model, batch, loss, params, referenceOf(batch)), 1);

for (const [label, overrides] of VARIANTS) {
  test(`the DPO loss's gradients and metrics from packed pairs equal the two-sequence ones (${label})`, () => {
    const model = modelOf(configOf(overrides), 4);
    const { two, packed } = batches(randomPairs(5, 13));
    const expected = gradientsOf(model, two);
    const actual = gradientsOf(model, packed);
    for (const [name, g] of expected.grads) {
      const want = Array.from(g.dataSync());
      const scale = Math.max(...want.map(Math.abs));
      assert.ok(scale > 0, `${name} has a gradient`);
      assertClose(Array.from(actual.grads.get(name)!.dataSync()), want, name, 0, 1e-5 * scale);
    }
    for (const [key, value] of Object.entries(expected.metrics)) assertClose([actual.metrics[key]!], [value], key);
    for (const g of [...expected.grads.values(), ...actual.grads.values()]) g.dispose();
    model.dispose();
  });
}

test('three AdamW steps on packed pairs equal three on two sequences, and leave the number of live tensors flat', () => {
  const config = configOf(VARIANTS[1]![1]);
  const lr = 1e-2;
  const train = (sharePrompt: boolean, counts: number[]) => {
    const model = modelOf(config, 6);
    const optimizer = new AdamW(model.trainable, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 });
    for (let step = 0; step < 3; step++) {
      const batch = collatePreference(randomPairs(4, 20 + step), { padTokenId: 0, sharePrompt });
      const { grads } = gradientsOf(model, batch);
      optimizer.apply(grads, lr);
      for (const g of grads.values()) g.dispose();
      counts.push(tf.memory().numTensors);
    }
    const weights = new Map([...model.params].map(([name, v]) => [name, Array.from(v.dataSync())]));
    optimizer.dispose();
    model.dispose();
    return weights;
  };
  const counts: number[] = [];
  const expected = train(false, []);
  const actual = train(true, counts);
  assert.equal(new Set(counts).size, 1, `live tensors over the steps: ${counts}`);
  const diffs: number[] = [];
  const far: string[] = [];
  for (const [name, want] of expected) {
    const got = actual.get(name)!;
    want.forEach((w, i) => {
      const diff = Math.max(0, Math.abs(got[i]! - w) - 1e-6 - 1e-5 * Math.abs(w)) / lr;
      diffs.push(diff);
      if (diff > 0.05) far.push(`${name}[${i}] ${diff.toFixed(2)} lr`);
    });
  }
  const over = (bound: number) => diffs.filter((d) => d > bound).length;
  // AdamW's first step is lr * sign(g). The only weights allowed to move differently are k_proj
  // biases in the dimensions RoPE barely rotates (rope_theta 1e6): they add the same amount to
  // every score of a row, which softmax ignores, so their exact gradient is ~0 (1e-8) and float32
  // rounding alone picks the sign of their first step.
  assert.ok(far.length <= 2 && far.every((w) => /self_attn\.k_proj\.bias\[(3|7)\]/.test(w)), `weights more than 0.05 lr apart: ${far.join(', ')}`);
  assert.ok(over(1e-3) <= diffs.length / 1000, `${over(1e-3)} of ${diffs.length} weights differ by more than 1e-3 lr`);
});

test('train.sharePrompt reaches every preference batch a stage builds: the precomputed reference, training and held-out evaluation', async () => {
  for (const sharePrompt of [true, false]) {
    const loaded = await tinyRun(await tempDir(), { train: { sharePrompt, precomputeReference: true, workers: 1 } });
    const { model, tokenizer } = await startingModel(loaded.config.model, loaded.config.train.seed);
    // Which forward pass runs: forwardAt for packed rows, forward for two sequences.
    const calls = { packed: 0, two: 0 };
    const [forwardAt, forward] = [model.forwardAt.bind(model), model.forward.bind(model)];
    model.forwardAt = (...args) => (calls.packed++, forwardAt(...args));
    model.forward = (...args) => (calls.two++, forward(...args));
    const used = async (phase: string, run: () => unknown) => {
      [calls.packed, calls.two] = [0, 0];
      await run();
      assert.deepEqual(calls.packed > 0 ? 'packed' : calls.two > 0 ? 'two' : 'none', sharePrompt ? 'packed' : 'two', `${phase}, sharePrompt ${sharePrompt}: ${JSON.stringify(calls)}`);
    };
    let stage: TrainingStage | undefined;
    await used('reference precompute', async () => (stage = await loadStage(loaded, { model, tokenizer, log: () => {}, startPool: async () => undefined })));
    await used('training', () => tf.tidy(() => stage!.objective([0, 1, 2, 3])().loss));
    await used('held-out evaluation', () => stage!.evaluate(4));
    stage!.dispose();
    model.dispose();
  }
});
