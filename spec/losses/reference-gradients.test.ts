/**
 * The float64 reference formulas the built-in plugins declare check themselves: each gives loss,
 * rewards and analytic gradients, and each analytic gradient agrees with a float64
 * central finite difference (h = 1e-6) of the same formula's summed losses, and the formulas take
 * the values the papers give at rho = 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { batch, randomPair } from '../reference/arbitraries.ts';
import { formula as declared, type PairInput } from '../reference/compare.ts';
import { PARAM_SETS } from '../reference/params.ts';

const registry = await createLossRegistry();
const H = 1e-6;

for (const loss of registry.list()) {
  const formula = (pairs: PairInput[], params: Record<string, unknown>) => declared(loss, params, pairs);
  for (const given of PARAM_SETS[loss.name] ?? [{}]) {
    const params = resolveParams(loss, given);
    test(`${loss.name} ${JSON.stringify(given)}: float64 analytic gradients equal central finite differences wherever the loss is smooth`, () => {
      fc.assert(
        fc.property(batch(randomPair, 4), (pairs) => {
          const total = (ps: PairInput[]) => formula(ps, params).reduce((sum, r) => sum + r.loss, 0);
          const analytic = formula(pairs, params);
          pairs.forEach((pair, i) => {
            for (const [key, field] of [['policyChosen', 'gradChosen'], ['policyRejected', 'gradRejected']] as const) {
              const at = (d: number) => total(pairs.map((p, j) => (j === i ? { ...p, [key]: pair[key] + d } : p)));
              const [minus, mid, plus] = [at(-H), at(0), at(H)];
              const numeric = (plus - minus) / (2 * H);
              const got = analytic[i]![field];
              const tolerance = 1e-5 * Math.abs(numeric) + 1e-6 * Math.max(1, Math.abs(mid));
              // At a kink (hinge, max, a tie in a batch sort) the one-sided slopes differ: no derivative to compare.
              if (Math.abs((plus - mid) - (mid - minus)) / H > 1e3 * tolerance) continue;
              if (Math.abs(got - numeric) > tolerance) throw new Error(`${field} of pair ${i}: analytic ${got}, finite difference ${numeric}`);
            }
          });
        }),
        { numRuns: 40 },
      );
    });
  }
}

test('float64 formulas at rho = 0: DPO family ln 2, BCO/NCA 2 ln 2, APO 1, DiscoPOP (1 + ln 2)/2', () => {
  const zero: PairInput = { policyChosen: -3, policyRejected: -7, refChosen: -3, refRejected: -7, chosenLength: 2, rejectedLength: 4 };
  const at = (name: string) => declared(registry.get(name), resolveParams(registry.get(name), {}), [zero])[0]!.loss;
  for (const name of ['dpo', 'minor-dpo', 'robust', 'sigmoid-norm', 'dpop', 'aot', 'aot-unpaired']) assert.ok(Math.abs(at(name) - Math.LN2) < 1e-15, name);
  for (const name of ['bco-pair', 'nca-pair']) assert.ok(Math.abs(at(name) - 2 * Math.LN2) < 1e-15, name);
  for (const name of ['apo-zero', 'apo-down']) assert.equal(at(name), 1, name);
  assert.ok(Math.abs(at('discopop') - (1 + Math.LN2) / 2) < 1e-15);
  assert.ok(Math.abs(at('sppo-hard') - 0.5 / 0.01) < 1e-12);
  assert.ok(Math.abs(at('cal-dpo') - (Math.LN2 + 25)) < 1e-12);
  assert.equal(at('sft'), 1.5);
});
