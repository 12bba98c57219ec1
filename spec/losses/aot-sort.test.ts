/**
 * The AOT losses' batch sort (core/loss/sort.ts): stable for ties, its gradient routes each
 * position's gradient to the element that landed there, and it runs at batch 64k on wasm and cpu
 * (the permutation-matrix sort it replaced needed B^2 floats: 16 GB at 64k, aborting wasm).
 * The wasm tests come first and select wasm with plain tf.setBackend, to show the sort needs no
 * kernel beyond stock tfjs (not the UnsortedSegmentSum that core/runtime adds to wasm).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { computeLoss, createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { sortAscending } from '../../core/loss/index.ts';
import { f64 } from '../../core/loss/index.ts';

const registry = await createLossRegistry();

/** Integers with many ties, and a few -0 / 0 (equal, so tied too). */
function tiedValues(n: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: n }, (_, i) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return i % 97 === 0 ? -0 : (state % 41) - 20;
  });
}

/** Sorted values and d sum(w * sorted) / d values, with w_k = k + 1. */
function sortAndGradient(values: number[]): { sorted: Float32Array; grad: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor1d(values);
    const w = tf.range(1, values.length + 1, 1, 'float32');
    const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(sortAscending(v as tf.Tensor1D), w)))(x);
    return { sorted: sortAscending(x).dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  });
}

function assertStableSort(values: number[]): void {
  const order = f64.stableArgsort(values);
  const { sorted, grad } = sortAndGradient(values);
  order.forEach((index, k) => {
    assert.equal(sorted[k], values[index], `sorted[${k}]`);
    // the element that landed at position k receives w_k = k + 1: ties keep index order
    assert.equal(grad[index], k + 1, `gradient of element ${index} (position ${k})`);
  });
}

function assertLossesRunAtBatch(batch: number): void {
  const logps = (seed: number) => tiedValues(batch, seed).map((v) => v * 0.25 - 30);
  const pairs = {
    policyChosen: logps(1), policyRejected: logps(2), refChosen: logps(3), refRejected: logps(4),
    chosenLength: new Array(batch).fill(1), rejectedLength: new Array(batch).fill(1),
  };
  for (const name of ['aot', 'aot-unpaired']) {
    const loss = registry.get(name);
    const result = computeLoss(loss, resolveParams(loss, {}), pairs);
    assert.equal(result.losses.length, batch);
    assert.ok(result.gradPolicyChosen.every(Number.isFinite) && result.gradPolicyRejected.every(Number.isFinite), name);
    assert.ok(result.gradPolicyChosen.some((g) => g !== 0), `${name}: gradient reaches the inputs`);
  }
}

test('wasm (plain tf.setBackend, no extra kernels): stable sort with ties and its gradient', async () => {
  assert.ok(await tf.setBackend('wasm'));
  assert.equal(tf.getKernel('UnsortedSegmentSum', 'wasm'), undefined, 'stock wasm lacks UnsortedSegmentSum');
  assertStableSort([3, 1, 2, 1, 3, 0, 1, 2, 2, -0, 0, 5]);
  assertStableSort(tiedValues(2000, 7));
});

test('wasm: aot and aot-unpaired forward + backward at batch 65536', () => {
  assert.equal(tf.getBackend(), 'wasm');
  assertLossesRunAtBatch(65_536);
});

test('selectBackend("wasm") adds the missing wasm kernels even when wasm is already active', async () => {
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(await selectBackend('wasm'), 'wasm');
  assert.ok(tf.getKernel('UnsortedSegmentSum', 'wasm'), 'UnsortedSegmentSum registered');
});

test('cpu: stable sort with ties and its gradient; aot losses at batch 65536', async () => {
  await selectBackend('cpu');
  assertStableSort([3, 1, 2, 1, 3, 0, 1, 2, 2, -0, 0, 5]);
  assertStableSort(tiedValues(2000, 7));
  assertLossesRunAtBatch(65_536);
});
