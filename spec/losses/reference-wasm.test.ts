/**
 * A subset of the losses on the wasm backend (the embedded default) agrees with the float64
 * formulas to float32 precision, like on cpu: rel 1e-5 / abs 1e-6, random and extreme inputs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { createLossRegistry } from '../../core/loss/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { batch, extremePair, randomPair } from '../reference/arbitraries.ts';
import { checkAgainstReference } from '../reference/compare.ts';

const registry = await createLossRegistry();
before(async () => {
  await selectBackend('wasm');
  assert.equal(tf.getBackend(), 'wasm');
});

const SUBSET: Array<[string, Record<string, unknown>]> = [
  ['dpo', { labelSmoothing: 0.1 }],
  ['minor-dpo', {}],
  ['exo-pair', {}],
  ['discopop', {}],
  ['aot', {}],
  ['aot-unpaired', {}],
  ['simpo', {}],
  ['dpop', {}],
];

for (const [name, params] of SUBSET) {
  test(`wasm: ${name} matches float64 within rel 1e-5 / abs 1e-6 on random and extreme batches`, () => {
    const loss = registry.get(name);
    fc.assert(fc.property(batch(randomPair), (pairs) => checkAgainstReference(loss, params, pairs)), { numRuns: 40 });
    fc.assert(fc.property(batch(extremePair), (pairs) => checkAgainstReference(loss, params, pairs)), { numRuns: 40 });
  });
}
