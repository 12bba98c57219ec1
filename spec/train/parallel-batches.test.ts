/**
 * Whole-batch work on the data-parallel threads (core/train/parallel/batch-work.ts): reference
 * log-probs and held-out metrics spread over a pool's threads are bitwise the single-thread ones
 * (each batch is computed whole, by the same function, and averaged in the same order), the
 * trainer's reference cache and evaluation with 2 workers equal one worker's (a frozen reference
 * model runs on the workers too), and a failure leaves no worker behind.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { collatePreference, type TokenizedPair } from '../../core/data/collate.ts';
import { createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { tinyConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { evaluatePreference, evaluateSft } from '../../core/train/held-out.ts';
import { GradientPool } from '../../core/train/parallel/pool.ts';
import type { ObjectiveSpec } from '../../core/train/parallel/shares.ts';
import { batchLogps, frozenReference } from '../../core/train/reference.ts';
import { train } from '../../core/train/trainer.ts';
import { quiet, tempDir, tinyRun } from './helpers.ts';

const config = tinyConfig({ num_hidden_layers: 1 });
const pairs: TokenizedPair[] = Array.from({ length: 11 }, (_, i) => ({
  chosen: { ids: [1, 5 + i, 7, 9, 11 + i, 3 + (i % 4)].slice(0, 4 + (i % 3)), promptLength: 2 },
  rejected: { ids: [1, 5 + i, 8, 10 + i, 20], promptLength: 2 },
}));
const batches = [0, 3, 6, 9].map((start) => collatePreference(pairs.slice(start, start + 3), { padTokenId: 0 }));
const dpo: ObjectiveSpec = { kind: 'preference', loss: { name: 'dpo', beta: 0.5 }, plugins: [] };

let pool: GradientPool | undefined;
before(async () => {
  await selectBackend('wasm');
});
after(async () => {
  await pool?.dispose();
});

test('log-probs of whole batches on 3 threads are bitwise batchLogps batch after batch, for the pool model and a reference of the same config; tensors stay flat', async () => {
  const model = CausalLM.random(config, 4);
  const reference = CausalLM.random(config, 5);
  const other = CausalLM.random(tinyConfig({ num_hidden_layers: 2 }), 6);
  pool = await GradientPool.start(model, dpo, { threads: 3 });
  const before = tf.memory().numTensors;
  for (const m of [model, reference, model]) {
    const expected = batches.map((b) => batchLogps(m, b));
    assert.deepEqual(pool.logps(batches, m), expected, m === model ? 'pool model' : 'reference model');
  }
  // A model of another config cannot go to the workers: computed on the main thread, same result.
  assert.deepEqual(pool.logps(batches, other), batches.map((b) => batchLogps(other, b)));
  assert.equal(tf.memory().numTensors, before);
  await pool.dispose();
  for (const m of [model, reference, other]) m.dispose();
});

test('held-out metrics (preference and SFT) on 2 threads are bitwise the one-thread evaluation, and deterministic', async () => {
  const model = CausalLM.random(config, 7);
  const examples = pairs.map((p, i) => ({ ...p, source: { file: 'test', line: i + 1 } }));
  const loss = (await createLossRegistry()).get('dpo');
  const reference = frozenReference(CausalLM.random(config, 8));
  const options = { loss, params: resolveParams(loss, { beta: 0.5 }), reference, batchSize: 3, padTokenId: 0 };
  pool = await GradientPool.start(model, dpo, { threads: 2 });
  const expected = evaluatePreference(model, examples, options);
  const spread = pool;
  const runs = [0, 1].map(() => evaluatePreference(model, examples, { ...options, metricsOf: (shares) => spread.metrics(shares) }));
  assert.deepEqual(runs[0], expected);
  assert.deepEqual(runs[1], expected);
  await pool.dispose();

  pool = await GradientPool.start(model, { kind: 'sft' }, { threads: 2 });
  const rows = pairs.map((p, i) => ({ sequence: p.chosen, source: { file: 'test', line: i + 1 } }));
  const sftOptions = { batchSize: 4, padTokenId: 0 };
  const sftPool = pool;
  assert.deepEqual(evaluateSft(model, rows, { ...sftOptions, metricsOf: (shares) => sftPool.metrics(shares) }), evaluateSft(model, rows, sftOptions));
  await pool.dispose();
  reference.dispose();
  model.dispose();
});

test('an error in a worker reaches the caller, and the pool answers the next request', async () => {
  const model = CausalLM.random(config, 9);
  pool = await GradientPool.start(model, dpo, { threads: 2 });
  const broken = [batches[0]!, { ...batches[1]!, tokens: null as never, packed: undefined }]; // the worker's share: reading its tokens throws
  assert.throws(() => pool!.logps(broken), /gradient worker/);
  assert.deepEqual(pool.logps(batches), batches.map((b) => batchLogps(model, b)));
  await pool.dispose();
  model.dispose();
});

test('the trainer with 2 workers precomputes the same reference cache and evaluates the same as with 1 (lr 1e-30: the weights do not move in float32)', async () => {
  const results = [];
  for (const workers of [1, 2]) {
    const loaded = await tinyRun(await tempDir(), {
      train: { maxSteps: 2, learningRate: 1e-30, weightDecay: 0, evalEvery: 1, precomputeReference: true, workers, evalBatchSize: 3 },
    });
    const lines: string[] = [];
    const result = await train(loaded, { progressStream: { write: (s: string) => lines.push(s), isTTY: false } as never, plots: false });
    const cacheDir = path.join(loaded.config.output, 'reference-cache');
    const [cache] = await readdir(cacheDir);
    results.push({ eval: result.eval, cache: await readFile(path.join(cacheDir, cache!), 'utf8'), log: lines.join('') });
  }
  assert.match(results[1]!.log, /2 threads/);
  assert.equal(results[1]!.cache, results[0]!.cache);
  assert.deepEqual(results[1]!.eval, results[0]!.eval);
});

test('a batch-coupled loss (aot) with 2 workers: gradients on one thread, the reference cache and evaluation on both, everything equal to 1 worker', async () => {
  const results = [];
  for (const workers of [1, 2]) {
    const loaded = await tinyRun(await tempDir(), {
      loss: { name: 'aot', beta: 0.5 },
      train: { maxSteps: 3, evalEvery: 3, precomputeReference: true, workers, evalBatchSize: 4 },
    });
    const lines: string[] = [];
    const result = await train(loaded, { progressStream: { write: (s: string) => lines.push(s), isTTY: false } as never, plots: false });
    const cacheDir = path.join(loaded.config.output, 'reference-cache');
    const [cache] = await readdir(cacheDir);
    const metrics = await readFile(path.join(loaded.config.output, 'metrics.jsonl'), 'utf8');
    results.push({ eval: result.eval, cache: await readFile(path.join(cacheDir, cache!), 'utf8'), losses: metrics.split('\n').filter(Boolean).map((line) => JSON.parse(line).loss), log: lines.join('') });
  }
  assert.match(results[1]!.log, /gradients: 1 thread \(the loss couples the pairs of a batch\); reference log-probs and evaluation: 2 threads/);
  assert.equal(results[1]!.cache, results[0]!.cache);
  assert.deepEqual(results[1]!.losses, results[0]!.losses);
  assert.deepEqual(results[1]!.eval, results[0]!.eval);
});

test('with a frozen reference model (no precompute), 2 workers run it on their threads: the evaluation after 3 steps equals 1 worker\'s to float32 rounding', async () => {
  // The policy moves away from its frozen start, so sending the workers the policy's weights instead
  // of the reference's would zero the rewards; 2 threads change the gradients by rounding only.
  const evals = [];
  for (const workers of [1, 2]) {
    const loaded = await tinyRun(await tempDir(), { train: { maxSteps: 3, precomputeReference: false, workers, evalBatchSize: 3 } });
    evals.push((await train(loaded, { progressStream: quiet, plots: false })).eval);
  }
  assert.ok(Math.abs(evals[0]!['eval_rewards/chosen']!) > 1e-3, `rewards moved: ${JSON.stringify(evals[0])}`);
  assert.deepEqual(Object.keys(evals[1]!).sort(), Object.keys(evals[0]!).sort());
  for (const [key, value] of Object.entries(evals[0]!)) {
    assert.ok(Math.abs(evals[1]![key]! - value) <= 1e-4 * Math.abs(value) + 1e-5, `${key}: 2 workers ${evals[1]![key]} 1 worker ${value}`);
  }
});

test('a run whose data has no usable pair fails with a UserError after starting its workers, and stops them', async () => {
  const dir = await tempDir();
  const { writeJsonl } = await import('./helpers.ts');
  const empty = await writeJsonl(path.join(dir, 'empty.jsonl'), [{ prompt: 'a'.repeat(40), chosen: 'a', rejected: 'b' }]);
  const loaded = await tinyRun(dir, { data: { train: empty, maxLength: 8 }, train: { workers: 2 } });
  const started: Array<{ pool: GradientPool; threads: number }> = [];
  const start = GradientPool.start;
  GradientPool.start = async (...args) => {
    const created = await start.apply(GradientPool, args);
    started.push({ pool: created, threads: created.threads });
    return created;
  };
  try {
    await assert.rejects(train(loaded, { progressStream: quiet, plots: false }), (error: Error) => error.name === 'UserError' && /no usable/.test(error.message));
  } finally {
    GradientPool.start = start;
  }
  assert.deepEqual(started.map((s) => s.threads), [2], 'one pool with a worker was started');
  assert.equal(started[0]!.pool.threads, 1, 'its worker was stopped (dispose leaves the main thread only)');
});
