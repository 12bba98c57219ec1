/**
 * Every built-in loss, evaluated in float32 through computeLoss on the cpu backend, agrees with
 * the float64 reference formula its plugin declares (checked against fixtures and its own finite
 * differences in fixtures.test.ts and reference-gradients.test.ts) to float32 precision:
 * relative 1e-5, or absolute 1e-6 near zero, on losses, rewards and both policy gradients.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLossRegistry } from '../../core/loss/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { batch, extremePair, randomPair } from '../reference/arbitraries.ts';
import { checkAgainstReference } from '../reference/compare.ts';
import { PARAM_SETS } from '../reference/params.ts';

const registry = await createLossRegistry();
before(async () => {
  await selectBackend('cpu');
});

test('every built-in loss declares a float64 reference formula (batchReference exactly when batch-coupled) and has param sets to check', () => {
  for (const loss of registry.list()) {
    assert.equal(typeof (loss.batchCoupled ? loss.batchReference : loss.reference), 'function', loss.name);
  }
  assert.deepEqual(Object.keys(PARAM_SETS).sort(), registry.list().map((loss) => loss.name).sort());
});

for (const loss of registry.list()) {
  describe(`${loss.name} matches its float64 formula`, () => {
    for (const params of PARAM_SETS[loss.name] ?? [{}]) {
      const label = JSON.stringify(params);
      test(`params ${label}: loss, rewards and gradients within rel 1e-5 / abs 1e-6 on random batches`, () => {
        fc.assert(fc.property(batch(randomPair), (pairs) => checkAgainstReference(loss, params, pairs)), { numRuns: 60 });
      });
      test(`params ${label}: loss, rewards and gradients within rel 1e-5 / abs 1e-6 with |log-prob| up to 1e4`, () => {
        fc.assert(fc.property(batch(extremePair), (pairs) => checkAgainstReference(loss, params, pairs)), { numRuns: 60 });
      });
    }
  });
}
