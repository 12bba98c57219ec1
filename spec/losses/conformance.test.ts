/**
 * Every built-in loss of registry.json passes the property-test kit on wasm and cpu, under its
 * default params and the param sets that switch its formula. numRuns is modest (the kit's
 * default is 100) to keep the suite's time in bounds; spec/testing shows the kit still catches
 * broken losses at this depth.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLossRegistry, type LossParams } from '../../core/loss/index.ts';
import { testLoss } from '../../core/testing/index.ts';

const registry = await createLossRegistry();

/** Extra param sets where a loss has a switch that changes its formula. */
const EXTRA_PARAMS: Record<string, LossParams[]> = {
  dpo: [{ beta: 0.5, labelSmoothing: 0.2 }],
  'minor-dpo': [{ beta: 1 }],
  ipo: [{ lengthNormalize: false }, { beta: 0.5 }],
  hinge: [{ beta: 0.5 }],
  robust: [{ beta: 0.5, labelSmoothing: 0.2 }],
  'exo-pair': [{ beta: 0.5, labelSmoothing: 0.1 }],
  'nca-pair': [{ beta: 1 }],
  'bco-pair': [{ beta: 1 }],
  'sppo-hard': [{ beta: 0.5 }],
  aot: [{ beta: 0.5, labelSmoothing: 0.2 }],
  'aot-unpaired': [{ beta: 0.5, labelSmoothing: 0.2 }],
  'apo-zero': [{ beta: 1 }],
  'apo-down': [{ beta: 1 }],
  discopop: [{ beta: 0.5, tau: 1 }],
  'sigmoid-norm': [{ beta: 1 }],
  simpo: [{ beta: 2.5, gamma: 1.25 }, { labelSmoothing: 0.1 }],
  dpop: [{ beta: 0.5, lambda: 5 }],
  'cal-dpo': [{ beta: 0.01 }],
};

test('every EXTRA_PARAMS key names a registered loss, so a typo cannot drop its cases', () => {
  const names = new Set(registry.list().map((loss) => loss.name));
  for (const key of Object.keys(EXTRA_PARAMS)) assert.ok(names.has(key), `EXTRA_PARAMS names '${key}', which is not a registered loss`);
});

for (const loss of registry.list()) {
  testLoss(loss, { params: [{}, ...(EXTRA_PARAMS[loss.name] ?? [])], numRuns: 25 });
}
