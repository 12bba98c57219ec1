/**
 * The properties every loss must keep, whatever it declares: finiteness over extreme inputs,
 * per-pair independence, batch mean = mean of single-pair losses, gradients that agree with
 * finite differences, and a params schema whose defaults are complete and valid.
 */
import fc from 'fast-check';
import type { PreferenceLoss } from '../loss/contract.ts';
import { resolveParams } from '../loss/params.ts';
import { batchOf, moderatePair, pair, type Pair } from './arbitraries.ts';
import { batchLoss, evaluatePair, evaluatePairs } from './pair-evaluation.ts';
import { assertClose } from './numeric.ts';
import type { KitProperty, PropertyContext } from './property.ts';

function finite(ctx: PropertyContext): void {
  fc.assert(
    fc.property(batchOf(pair), (pairs) => {
      const result = evaluatePairs(ctx.loss, ctx.params, pairs);
      for (const [key, values] of Object.entries(result)) {
        values.forEach((value: number, i: number) => {
          if (!Number.isFinite(value)) throw new Error(`${key}[${i}] is ${value} for pair ${JSON.stringify(pairs[i])}`);
        });
      }
    }),
    ctx.runOptions,
  );
}

function perPairIndependence(ctx: PropertyContext): void {
  fc.assert(
    fc.property(pair, batchOf(pair, 5), batchOf(pair, 5), (first, restA, restB) => {
      const a = evaluatePairs(ctx.loss, ctx.params, [first, ...restA]);
      const b = evaluatePairs(ctx.loss, ctx.params, [first, ...restB]);
      assertClose(b.losses[0]!, a.losses[0]!, 'loss of pair 0 changed when the other pairs changed');
      assertClose(b.gradPolicyChosen[0]!, a.gradPolicyChosen[0]!, 'chosen gradient of pair 0 changed with the other pairs');
      assertClose(b.gradPolicyRejected[0]!, a.gradPolicyRejected[0]!, 'rejected gradient of pair 0 changed with the other pairs');
    }),
    ctx.runOptions,
  );
}

function batchMean(ctx: PropertyContext): void {
  fc.assert(
    fc.property(batchOf(pair), (pairs) => {
      const singles = pairs.map((p) => evaluatePair(ctx.loss, ctx.params, p).loss);
      const mean = singles.reduce((a, b) => a + b, 0) / singles.length;
      assertClose(batchLoss(ctx.loss, ctx.params, pairs), mean, 'batch loss differs from the mean of single-pair losses', {
        relative: 1e-5,
        absolute: 1e-6,
      });
    }),
    ctx.runOptions,
  );
}

const FD_STEP = 1e-2;

/**
 * Central finite difference of the loss along one policy log-prob, with the float32 rounding noise
 * of that estimate; undefined where the loss is not smooth there (its one-sided slopes disagree,
 * as at a hinge or a max).
 */
function finiteDifference(ctx: PropertyContext, p: Pair, key: 'policyChosen' | 'policyRejected') {
  const at = (delta: number) => evaluatePair(ctx.loss, ctx.params, { ...p, [key]: Math.fround(p[key] + delta) }).loss;
  const [minus, mid, plus] = [at(-FD_STEP), at(0), at(FD_STEP)];
  const forward = (plus - mid) / FD_STEP;
  const backward = (mid - minus) / FD_STEP;
  const noise = (4e-7 * Math.max(Math.abs(minus), Math.abs(mid), Math.abs(plus))) / FD_STEP;
  if (Math.abs(forward - backward) > 0.1 * Math.max(Math.abs(forward), Math.abs(backward)) + 4 * noise + 1e-6) return undefined;
  return { slope: (plus - minus) / (2 * FD_STEP), noise };
}

function gradientMatchesFiniteDifferences(ctx: PropertyContext): void {
  fc.assert(
    fc.property(moderatePair, (p) => {
      const auto = evaluatePair(ctx.loss, ctx.params, p);
      for (const [key, grad] of [['policyChosen', auto.gradChosen], ['policyRejected', auto.gradRejected]] as const) {
        const numeric = finiteDifference(ctx, p, key);
        if (numeric === undefined) continue;
        const tolerance = 1e-3 * Math.abs(numeric.slope) + 1e-5 + 4 * numeric.noise;
        if (Math.abs(grad - numeric.slope) > tolerance) {
          throw new Error(`d loss / d ${key} is ${grad} by autograd but ${numeric.slope} by finite differences at ${JSON.stringify(p)}`);
        }
      }
    }),
    ctx.runOptions,
  );
}

function schemaDefaults(ctx: PropertyContext): void {
  const { loss } = ctx;
  const schema = loss.paramsSchema;
  const required = new Set(schema.required ?? []);
  for (const [key, spec] of Object.entries(schema.properties)) {
    if (spec.default === undefined && !required.has(key)) throw new Error(`param '${key}' has no default and is not required`);
  }
  if (required.size === 0) {
    const defaults = resolveParams(loss, {});
    for (const key of Object.keys(schema.properties)) {
      if (!(key in defaults)) throw new Error(`default of param '${key}' was not filled in`);
    }
  }
  let rejected = false;
  try {
    resolveParams(loss, { ...ctx.params, 'no-such-param': 1 });
  } catch {
    rejected = true;
  }
  if (!rejected) throw new Error('an unknown param was accepted');
}

export function genericProperties(loss: PreferenceLoss<any>): KitProperty[] {
  const properties: KitProperty[] = [
    { name: 'loss, rewards and gradients are finite for log-probs down to -1e4', check: finite },
    { name: 'autograd gradients agree with central finite differences wherever the loss is smooth', check: gradientMatchesFiniteDifferences },
    { name: 'params schema: every param has a default, defaults are filled in, unknown params are rejected', check: schemaDefaults },
  ];
  if (!loss.batchCoupled) {
    properties.push(
      { name: "per-pair independence: a pair's loss and gradients do not depend on the other pairs of the batch", check: perPairIndependence },
      { name: 'batch loss equals the mean of the single-pair losses', check: batchMean },
    );
  }
  return properties;
}
