/**
 * Data-parallel gradients (core/train/parallel) equal the single-thread path.
 *
 * Tolerance: the shares' gradients are summed in another order than one pass over the whole
 * microbatch sums them, so results differ by float32 rounding only. We require, per element,
 * |parallel - single| <= 1e-5 * max|single| + 1e-9 for gradients (and log-probs, metrics), and after
 * three AdamW steps at lr 1e-2, |w_parallel - w_single| <= 1e-6 + 1e-5 * |w_single| + 1e-2 * lr:
 * AdamW divides by sqrt(v), so a rounding difference in a near-zero gradient becomes a visible
 * part of that weight's update (a wrong share or weight would move weights by ~lr instead).
 * With a fixed thread count the result is bitwise the same run to run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { collatePreference, collateSequences, type TokenizedPair } from '../../core/data/collate.ts';
import { tinyConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { computeGradients, type MicrobatchGradients } from '../../core/train/gradients.ts';
import { AdamW } from '../../core/train/optimizer.ts';
import { GradientPool } from '../../core/train/parallel/pool.ts';
import { pairMetricWorkerSetups } from '../../core/train/pair-metrics.ts';
import { resolveObjective, shareObjective, splitEvenly, type ObjectiveSpec, type Share } from '../../core/train/parallel/shares.ts';
import { registerChosenMean } from './pair-metric-hook.ts';

const config = tinyConfig({ num_hidden_layers: 1 });
const pairs: TokenizedPair[] = Array.from({ length: 5 }, (_, i) => ({
  chosen: { ids: [1, 5 + i, 7, 9, 11 + i, 3 + (i % 4)].slice(0, 4 + (i % 3)), promptLength: 2 },
  rejected: { ids: [1, 5 + i, 8, 10 + i, 20], promptLength: 2 },
}));
const reference = (ps: readonly TokenizedPair[]) => ({
  chosen: Float32Array.from(ps, (p) => -10 - pairs.indexOf(p)),
  rejected: Float32Array.from(ps, (p) => -12 + 0.5 * pairs.indexOf(p)),
});
const dpo: ObjectiveSpec = { kind: 'preference', loss: { name: 'dpo', beta: 0.5 }, plugins: [] };
const preferenceShares = (parts: readonly TokenizedPair[][]): Share[] =>
  parts.map((ps) => ({ kind: 'preference', batch: collatePreference(ps, { padTokenId: 0 }), reference: reference(ps) }));

let pool: GradientPool;
before(async () => {
  await selectBackend('wasm');
});
after(async () => {
  await pool?.dispose();
});

function single(model: CausalLM, spec: ObjectiveSpec, share: Share): Promise<MicrobatchGradients> {
  return resolveObjective(spec).then((objective) => computeGradients(model, () => shareObjective(model, objective, share), 1));
}

function assertClose(actual: Float32Array | number[], expected: Float32Array | number[], what: string): void {
  const scale = Math.max(...Array.from(expected, Math.abs));
  Array.from(expected).forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-5 * scale + 1e-9, `${what}[${i}]: parallel ${actual[i]} single ${e}`));
}

test('splitEvenly keeps order and splits into runs whose sizes differ by at most one', () => {
  for (let n = 0; n <= 9; n++) {
    for (let parts = 1; parts <= 4; parts++) {
      const items = Array.from({ length: n }, (_, i) => i);
      const runs = splitEvenly(items, parts);
      assert.deepEqual(runs.flat(), items);
      const sizes = runs.map((r) => r.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n} parts=${parts}: ${sizes}`);
      assert.equal(runs.length, Math.max(1, Math.min(parts, n)));
    }
  }
});

test('preference gradients and metrics on 3 threads equal one pass over the whole microbatch (float32 rounding), and are deterministic', async () => {
  const model = CausalLM.random(config, 4);
  pool = await GradientPool.start(model, dpo, { threads: 3 });
  assert.equal(pool.threads, 3);
  const [whole] = preferenceShares([pairs]);
  const expected = await single(model, dpo, whole!);
  const runs = [0, 1].map(() => pool.computeGradients(preferenceShares(pool.split(pairs)), 1));
  assert.equal(runs[0]!.grads.size, expected.grads.size);
  for (const [name, g] of expected.grads) {
    const first = runs[0]!.grads.get(name)!.dataSync() as Float32Array;
    assertClose(first, g.dataSync() as Float32Array, name);
    assert.deepEqual(runs[1]!.grads.get(name)!.dataSync(), first, `${name} is the same on a second run`);
  }
  for (const key of Object.keys(expected.metrics)) assertClose([runs[0]!.metrics[key]!], [expected.metrics[key]!], key);
  // The log-probs the loss saw (their means) and the token accuracy, weighted by tokens, are among them.
  for (const key of ['logps/chosen', 'logps/rejected', 'mean_token_accuracy']) assert.ok(key in runs[0]!.metrics, key);
  for (const r of [expected, ...runs]) tf.dispose([...r.grads.values()]);
  await pool.dispose();
  model.dispose();
});

test('three AdamW steps with 2 threads give the single-thread weights; tensors stay flat on the main thread', async () => {
  const models = [CausalLM.random(config, 9), CausalLM.random(config, 9)];
  const options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 };
  const optimizers = models.map((m) => new AdamW(m.params, options));
  pool = await GradientPool.start(models[1]!, dpo, { threads: 2 });
  const objective = await resolveObjective(dpo);
  const counts: number[] = [];
  for (let step = 0; step < 3; step++) {
    const [whole] = preferenceShares([pairs]);
    const a = computeGradients(models[0]!, () => shareObjective(models[0]!, objective, whole!), 1);
    const b = pool.computeGradients(preferenceShares(pool.split(pairs)), 1);
    optimizers[0]!.apply(a.grads, 1e-2);
    optimizers[1]!.apply(b.grads, 1e-2);
    tf.dispose([...a.grads.values(), ...b.grads.values()]);
    counts.push(tf.memory().numTensors);
  }
  assert.equal(new Set(counts).size, 1, `numTensors over steps: ${counts}`);
  for (const [name, w] of models[0]!.params) {
    const expected = w.dataSync();
    const actual = models[1]!.params.get(name)!.dataSync();
    expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= 1e-6 + 1e-5 * Math.abs(e) + 1e-2 * 1e-2, `${name}[${i}]: parallel ${actual[i]} single ${e}`));
  }
  await pool.dispose();
  for (const o of optimizers) o.dispose();
  for (const m of models) m.dispose();
});

test('SFT shares are weighted by completion tokens: 2 threads equal one pass', async () => {
  const model = CausalLM.random(config, 5);
  const spec: ObjectiveSpec = { kind: 'sft' };
  pool = await GradientPool.start(model, spec, { threads: 2 });
  const sequences = [pairs[0]!.chosen, pairs[1]!.rejected, pairs[2]!.chosen]; // 4, 3 and 4 completion tokens
  const expected = await single(model, spec, { kind: 'sft', batch: collateSequences(sequences, { padTokenId: 0 }) });
  const result = pool.computeGradients(pool.split(sequences).map((s) => ({ kind: 'sft', batch: collateSequences(s, { padTokenId: 0 }) })), 1);
  for (const [name, g] of expected.grads) assertClose(result.grads.get(name)!.dataSync() as Float32Array, g.dataSync() as Float32Array, name);
  assertClose([result.metrics.loss!], [expected.metrics.loss!], 'loss');
  tf.dispose([...expected.grads.values(), ...result.grads.values()]);
  await pool.dispose();
  model.dispose();
});

test('a pair-metric hook registered with a worker setup runs in every worker: its metric covers the whole microbatch', async () => {
  const unregister = registerChosenMean();
  try {
    const model = CausalLM.random(config, 8);
    const spec: ObjectiveSpec = { ...dpo, setup: pairMetricWorkerSetups() } as ObjectiveSpec;
    pool = await GradientPool.start(model, spec, { threads: 2 });
    const [whole] = preferenceShares([pairs]);
    const expected = await single(model, spec, whole!);
    const result = pool.computeGradients(preferenceShares(pool.split(pairs)), 1);
    assert.ok('test/chosen_mean' in expected.metrics);
    assertClose([result.metrics['test/chosen_mean']!], [expected.metrics['test/chosen_mean']!], 'test/chosen_mean');
    tf.dispose([...expected.grads.values(), ...result.grads.values()]);
    await pool.dispose();
    model.dispose();
  } finally {
    unregister();
  }
});

test('a batch-coupled loss (aot) is not split: its gradient stays on one thread while the pool keeps its threads for whole batches', async () => {
  const model = CausalLM.random(config, 6);
  pool = await GradientPool.start(model, { kind: 'preference', loss: { name: 'aot' }, plugins: [] }, { threads: 3 });
  assert.equal(pool.threads, 3);
  assert.equal(pool.gradientThreads, 1);
  assert.deepEqual(pool.split(pairs), [pairs]);
  assert.throws(() => pool.computeGradients(preferenceShares([pairs.slice(0, 4), pairs.slice(4)]), 1), /2 shares for 1 gradient threads/);
  await pool.dispose();
  model.dispose();
});
