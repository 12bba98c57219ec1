/** Loss params: validated against the loss's JSON Schema, defaults filled, unknown keys rejected. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveParams } from '../../core/loss/index.ts';
import dpo from '../../plugins/dpo/index.ts';
import ipo from '../../plugins/ipo/index.ts';

test('defaults are filled in: beta 0.1, labelSmoothing 0, lengthNormalize true', () => {
  assert.deepEqual(resolveParams(dpo, {}), { beta: 0.1, labelSmoothing: 0 });
  assert.deepEqual(resolveParams(ipo, { beta: 0.5 }), { beta: 0.5, lengthNormalize: true });
});

test('the given params object is not modified', () => {
  const given = { beta: 0.3 };
  resolveParams(dpo, given);
  assert.deepEqual(given, { beta: 0.3 });
});

test('a param that breaks its rule is an error naming the loss, the param and the rule', () => {
  assert.throws(() => resolveParams(dpo, { beta: 0 }), /loss 'dpo': param 'beta' must be > 0/);
  assert.throws(() => resolveParams(dpo, { labelSmoothing: 0.7 }), /param 'labelSmoothing' must be <= 0\.5/);
  assert.throws(() => resolveParams(ipo, { lengthNormalize: 'yes' }), /param 'lengthNormalize' must be boolean/);
});

test('an unknown param is an error listing the known ones', () => {
  assert.throws(() => resolveParams(dpo, { bta: 0.1 }), /unknown param 'bta' \(known: beta, labelSmoothing\)/);
});
