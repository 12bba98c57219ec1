/**
 * Every built-in loss, evaluated in float32 through computeLoss on the cpu backend, agrees with
 * its independent float64 reference formula (spec/reference/formulas.ts) to float32 precision:
 * relative 1e-5, or absolute 1e-6 near zero, on losses, rewards and both policy gradients.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLossRegistry } from '../../core/loss/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { batch, extremePair, randomPair } from '../reference/arbitraries.ts';
import { checkAgainstReference } from '../reference/compare.ts';
import { REFERENCE } from '../reference/formulas.ts';
import { PARAM_SETS } from '../reference/params.ts';

const registry = await createLossRegistry();
before(async () => {
  await selectBackend('cpu');
});

test('every built-in loss has a float64 reference formula and param sets to check', () => {
  const names = registry.list().map((loss) => loss.name).sort();
  assert.deepEqual(Object.keys(REFERENCE).sort(), names);
  assert.deepEqual(Object.keys(PARAM_SETS).sort(), names);
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
