/**
 * Backends: wasm (with prefopt's kernel and gradient fixes) agrees with the pure-JS cpu backend on
 * log-probs and on every weight's gradient for a tiny model. Tolerance: float32 on both sides with
 * different summation orders, so |wasm - cpu| <= 1e-4 * max(1, |cpu|) for log-prob sums and
 * <= 1e-4 * max|g| + 1e-6 per gradient element.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { tinyConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { describeBackend, selectBackend } from '../../core/runtime/backend.ts';
import { logSoftmaxAt, matMul2d, rmsNorm, swiGlu } from '../../core/runtime/ops.ts';
import { randomArrays, randomBatch } from './helpers.ts';

function lossAndGrads(model: CausalLM, batch: ReturnType<typeof randomBatch>): { sums: number[]; grads: Map<string, Float32Array> } {
  const sums = tf.tidy(() => sequenceLogprobs(model, batch).sums.arraySync()) as number[];
  const names = [...model.params.keys()];
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.mul(sequenceLogprobs(model, batch).sums, tf.tensor1d([1, -0.5, 2]))) as tf.Scalar), model.trainableVariables());
  const out = new Map<string, Float32Array>();
  const byId = new Map(model.trainableVariables().map((v, i) => [v.name, names[i]!]));
  for (const [id, g] of Object.entries(grads)) out.set(byId.get(id)!, g.dataSync() as Float32Array);
  value.dispose();
  tf.dispose(grads);
  return { sums, grads: out };
}

test('wasm and cpu agree on log-prob sums and on the gradient of every weight (GQA, qwen2 biases, tied)', async () => {
  const config = tinyConfig({ model_type: 'qwen2', tie_word_embeddings: true, num_key_value_heads: 2 });
  const arrays = randomArrays(config, 21);
  const batch = randomBatch(3, 12, config.vocab_size, 4);
  const results = [];
  for (const backend of ['cpu', 'wasm']) {
    assert.equal(await selectBackend(backend), backend);
    const model = CausalLM.fromArrays(config, arrays);
    results.push(lossAndGrads(model, batch));
    model.dispose();
  }
  const [cpu, wasm] = results as [ReturnType<typeof lossAndGrads>, ReturnType<typeof lossAndGrads>];
  cpu.sums.forEach((s, i) => assert.ok(Math.abs(s - wasm.sums[i]!) <= 1e-4 * Math.max(1, Math.abs(s)), `sum ${i}: cpu ${s} wasm ${wasm.sums[i]}`));
  assert.equal(wasm.grads.size, arrays.size, 'every weight gets a gradient on wasm (including the embedding through gather)');
  for (const [name, g] of cpu.grads) {
    const w = wasm.grads.get(name)!;
    const scale = g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(scale > 0, `${name} has a non-zero gradient`);
    g.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-4 * scale + 1e-6, `${name}[${i}]: cpu ${v} wasm ${w[i]}`));
  }
});

test('matMul2d (explicit-transpose gradient) gives tf.matMul\'s value and gradients on wasm', async () => {
  await selectBackend('wasm');
  tf.tidy(() => {
    const a = tf.randomNormal([5, 7], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([7, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const dy = tf.randomNormal([5, 3], 0, 1, 'float32', 3);
    const f = (fn: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fn(x as tf.Tensor2D, y as tf.Tensor2D), dy)));
    const [ga, gb] = f(matMul2d)([a, b]);
    const [ea, eb] = f((x, y) => tf.matMul(x, y))([a, b]);
    assert.ok(tf.max(tf.abs(tf.sub(matMul2d(a, b), tf.matMul(a, b)))).dataSync()[0]! < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(ga!, ea!))).dataSync()[0]! < 1e-5);
    assert.ok(tf.max(tf.abs(tf.sub(gb!, eb!))).dataSync()[0]! < 1e-5);
  });
});

test('the wasm UnsortedSegmentSum kernel sums rows by segment and drops out-of-range ids', async () => {
  await selectBackend('wasm');
  const out = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]), tf.tensor1d([2, 0, 2, 5], 'int32'), 3).arraySync());
  assert.deepEqual(out, [[3, 4], [0, 0], [6, 8]]);
});

test('logSoftmaxAt equals tf.logSoftmax at the targets, and its written-out gradient equals autograd\'s, on wasm and cpu', async () => {
  for (const backend of ['cpu', 'wasm']) {
    await selectBackend(backend);
    tf.tidy(() => {
      const logits = tf.randomNormal([6, 5], 0, 3, 'float32', 7) as tf.Tensor2D;
      const targets = Int32Array.from([4, 0, 2, 2, 1, 3]);
      const weights = tf.tensor1d([1, -2, 0.5, 3, 0, 1]);
      const plain = (x: tf.Tensor) => tf.sum(tf.mul(weights, tf.sum(tf.mul(tf.logSoftmax(x), tf.oneHot(tf.tensor1d(targets, 'int32'), 5).cast('float32')), 1)));
      const fast = (x: tf.Tensor) => tf.sum(tf.mul(weights, logSoftmaxAt(x as tf.Tensor2D, targets)));
      assert.ok(Math.abs(fast(logits).dataSync()[0]! - plain(logits).dataSync()[0]!) < 1e-4, backend);
      const diff = tf.max(tf.abs(tf.sub(tf.grad(fast)(logits), tf.grad(plain)(logits)))).dataSync()[0]!;
      assert.ok(diff < 1e-5, `${backend}: gradient differs by ${diff}`);
    });
  }
});

test('swiGlu and rmsNorm (written-out gradients) equal their autodiff definitions in value and gradient, on wasm and cpu', async () => {
  for (const backend of ['cpu', 'wasm']) {
    await selectBackend(backend);
    tf.tidy(() => {
      const a = tf.randomNormal([7, 6], 0, 2, 'float32', 11) as tf.Tensor2D;
      const b = tf.randomNormal([7, 6], 0, 2, 'float32', 12) as tf.Tensor2D;
      const w = tf.randomNormal([6], 1, 0.5, 'float32', 13) as tf.Tensor1D;
      const dy = tf.randomNormal([7, 6], 0, 1, 'float32', 14);
      const pairs: Array<[string, (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor, (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor, tf.Tensor[]]> = [
        ['swiGlu', (x, y) => swiGlu(x, y), (x, y) => tf.mul(tf.mul(x, tf.sigmoid(x)), y), [a, b]],
        ['rmsNorm', (x, v) => rmsNorm(x, v as unknown as tf.Tensor1D, 1e-5), (x, v) => tf.mul(v, tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5)))), [a, w]],
      ];
      for (const [name, fast, plain, inputs] of pairs) {
        const grads = (f: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor2D, y as tf.Tensor2D), dy)))(inputs);
        const maxDiff = (x: tf.Tensor, y: tf.Tensor) => tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]!;
        assert.ok(maxDiff(fast(inputs[0] as tf.Tensor2D, inputs[1] as tf.Tensor2D), plain(inputs[0] as tf.Tensor2D, inputs[1] as tf.Tensor2D)) < 1e-5, `${backend} ${name} value`);
        grads(fast).forEach((g, i) => assert.ok(maxDiff(g, grads(plain)[i]!) < 1e-4, `${backend} ${name} gradient ${i}`));
      }
    });
  }
});

test('the wasm Slice and Unpack kernels give the cpu backend\'s values, contiguous or not', async () => {
  const cases: Array<[number[], number[], number[]]> = [
    [[4, 5, 6], [1, 0, 0], [2, 5, 6]], [[4, 5, 6], [1, 2, 0], [1, 3, 6]], [[4, 5, 6], [0, 0, 1], [4, 5, 2]],
    [[3, 12], [0, 0], [3, 11]], [[3, 12], [1, 0], [1, 12]], [[6], [2], [3]], [[2, 3], [0, 1], [1, 2]],
  ];
  const run = () => tf.tidy(() => {
    const x = (shape: number[]) => tf.range(0, shape.reduce((a, b) => a * b, 1)).reshape(shape);
    return [
      ...cases.map(([shape, begin, size]) => tf.slice(x(shape), begin, size).arraySync()),
      tf.unstack(x([2, 3, 4])).map((t) => t.arraySync()),
      tf.unstack(x([2, 3, 4]), 1).map((t) => t.arraySync()),
    ];
  });
  await selectBackend('cpu');
  const expected = run();
  await selectBackend('wasm');
  assert.deepEqual(run(), expected);
});

test('the wasm Identity kernel (clone, every tensor the tape saves) and a same-dtype Cast share the buffer instead of copying it, and each copy outlives the other', async () => {
  await selectBackend('wasm');
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const buffers = tf.memory().numDataBuffers;
  const y = tf.clone(x);
  const z = tf.cast(x, 'float32');
  assert.equal(tf.memory().numDataBuffers, buffers, 'no new buffer');
  x.dispose();
  assert.deepEqual(y.arraySync(), [[1, 2, 3], [4, 5, 6]]);
  y.dispose();
  assert.deepEqual(z.arraySync(), [[1, 2, 3], [4, 5, 6]]);
  z.dispose();
  assert.equal(tf.memory().numDataBuffers, buffers - 1, 'the buffer is freed with its last tensor');
  const before = tf.memory().numDataBuffers;
  const [value, grad] = tf.tidy(() => {
    const w = tf.tensor1d([0.5, -1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), tf.sigmoid(v))))(w);
    return [tf.sum(tf.square(w)), g];
  });
  const w = [0.5, -1, 2];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  (grad!.dataSync() as Float32Array).forEach((g, i) => assert.ok(Math.abs(g - (2 * w[i]! * sig(w[i]!) + w[i]! ** 2 * sig(w[i]!) * (1 - sig(w[i]!)))) < 1e-5));
  assert.equal(value!.dataSync()[0], 5.25);
  tf.dispose([value!, grad!]);
  assert.equal(tf.memory().numDataBuffers, before, 'the saved tensors are freed after the backward pass');
});

test('selectBackend reports the backend in use; unknown or unavailable names are UserErrors', async () => {
  assert.equal(await selectBackend('cpu'), 'cpu');
  assert.match(describeBackend(), /^backend: cpu/);
  assert.equal(await selectBackend('wasm'), 'wasm');
  assert.match(describeBackend(), /^backend: wasm \((SIMD|no SIMD), /);
  await assert.rejects(selectBackend('tpu'), (e: unknown) => e instanceof UserError && /unknown backend 'tpu'/.test(e.message));
  const hasNode = await Promise.any(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'].map((p) => import(p))).then(() => true, () => false);
  if (hasNode) assert.equal(await selectBackend('tensorflow'), 'tensorflow');
  else await assert.rejects(selectBackend('tensorflow'), (e: unknown) => e instanceof UserError && /backend 'tensorflow' is not available here/.test(e.message));
});
