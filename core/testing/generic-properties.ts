/**
 * The properties every loss must keep, whatever it declares, each with an id a loss can mark
 * not applicable (with a reason): finiteness over the whole domain, gradients that agree with
 * finite differences, per-pair independence, batch mean = mean of single-pair losses, lengths
 * ignored by a loss that does not declare `usesLengths`, and agreement with the loss's float64
 * reference formula.
 */
import fc from 'fast-check';
import type { GenericPropertyId, PreferenceLoss } from '../loss/contract.ts';
import { batchOf, inDomain, type Pair } from './arbitraries.ts';
import { batchLoss, evaluatePair, evaluatePairs } from './pair-evaluation.ts';
import { assertClose } from './numeric.ts';
import type { KitProperty, PropertyContext } from './property.ts';
import { assertMatchesReference, hasReference, pairValues } from './reference-check.ts';

function finite(ctx: PropertyContext): void {
  fc.assert(
    fc.property(batchOf(ctx.gen.pair), (pairs) => {
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
    fc.property(ctx.gen.pair, batchOf(ctx.gen.pair, 5), batchOf(ctx.gen.pair, 5), (first, restA, restB) => {
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
    fc.property(batchOf(ctx.gen.pair), (pairs) => {
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

function lengthsIgnored(ctx: PropertyContext): void {
  fc.assert(
    fc.property(ctx.gen.dyadicPair, ctx.gen.lengths, ctx.gen.lengths, (p, chosenLength, rejectedLength) => {
      const a = evaluatePair(ctx.loss, ctx.params, p);
      const b = evaluatePair(ctx.loss, ctx.params, { ...p, chosenLength, rejectedLength });
      for (const key of ['loss', 'chosenReward', 'rejectedReward', 'gradChosen', 'gradRejected'] as const) {
        assertClose(b[key], a[key], `${key} changed when the lengths changed from (${p.chosenLength}, ${p.rejectedLength}) to (${chosenLength}, ${rejectedLength}); declare usesLengths: true if the loss reads them`);
      }
    }),
    ctx.runOptions,
  );
}

/**
 * Central finite difference of the loss along one policy log-prob, with a step relative to the
 * input (1e-2, or 1e-3 |x| for larger inputs) shrunk so that both probes stay inside the domain,
 * and the float32 rounding noise of that estimate. Undefined where the loss is not smooth there
 * (its one-sided slopes disagree, as at a hinge or a max) or the point is too close to a bound.
 */
function finiteDifference(ctx: PropertyContext, p: Pair, key: 'policyChosen' | 'policyRejected') {
  const x = p[key];
  const { domain: d } = ctx;
  const room = Math.min(x - d.min, d.boundExcluded ? (d.bound - x) / 2 : d.bound - x);
  const h = Math.min(Math.max(1e-2, 1e-3 * Math.abs(x)), room);
  if (!(h >= 1e-4)) return undefined;
  const [up, down] = [Math.fround(x + h), Math.fround(x - h)];
  if (!inDomain(d, up) || !inDomain(d, down)) return undefined;
  const at = (value: number) => evaluatePair(ctx.loss, ctx.params, { ...p, [key]: value }).loss;
  const [minus, mid, plus] = [at(down), at(x), at(up)];
  const [stepUp, stepDown] = [up - x, x - down];
  const forward = (plus - mid) / stepUp;
  const backward = (mid - minus) / stepDown;
  const noise = (4e-7 * Math.max(Math.abs(minus), Math.abs(mid), Math.abs(plus))) / Math.min(stepUp, stepDown);
  if (Math.abs(forward - backward) > 0.1 * Math.max(Math.abs(forward), Math.abs(backward)) + 4 * noise + 1e-6) return undefined;
  return { slope: (plus - minus) / (stepUp + stepDown), noise };
}

function gradientMatchesFiniteDifferences(ctx: PropertyContext): void {
  fc.assert(
    fc.property(ctx.gen.moderatePair, (p) => {
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

function matchesReference(ctx: PropertyContext): void {
  const check = (pairs: Pair[]) => {
    const values = pairs.map((p) => pairValues(ctx.loss, p));
    const result = evaluatePairs(ctx.loss, ctx.params, pairs);
    const computed = pairs.map((_, i) => ({
      loss: result.losses[i]!,
      chosenReward: result.chosenRewards[i]!,
      rejectedReward: result.rejectedRewards[i]!,
      gradChosen: result.gradPolicyChosen[i]!,
      gradRejected: result.gradPolicyRejected[i]!,
    }));
    assertMatchesReference(ctx.loss, ctx.params, values, computed, ctx.domain);
  };
  // Ordinary magnitudes, then the whole domain (extreme log-probs and log-ratios, the bounds).
  fc.assert(fc.property(batchOf(ctx.gen.moderatePair), check), ctx.runOptions);
  fc.assert(fc.property(batchOf(ctx.gen.pair), check), ctx.runOptions);
}

/** Why a generic property does not apply when the loss itself gives no reason. */
function implicitReason(loss: PreferenceLoss<any>, id: GenericPropertyId): string | undefined {
  if ((id === 'per-pair-independence' || id === 'batch-mean') && loss.batchCoupled) return 'batch-coupled: a pair’s loss depends on the other pairs of the batch';
  if (id === 'lengths-ignored' && loss.usesLengths) return 'the loss reads completion lengths (usesLengths: true)';
  if (id === 'reference-formula' && !hasReference(loss)) return 'the loss declares no float64 `reference` (or `batchReference`) to compare with';
  return undefined;
}

const GENERIC: Record<GenericPropertyId, Omit<KitProperty, 'notApplicable'>> = {
  finite: { name: 'loss, rewards and gradients are finite over the whole input domain (log-probs down to its minimum, -1e4 by default)', check: finite },
  'finite-differences': { name: 'autograd gradients agree with central finite differences wherever the loss is smooth', check: gradientMatchesFiniteDifferences },
  'per-pair-independence': { name: "per-pair independence: a pair's loss and gradients do not depend on the other pairs of the batch", check: perPairIndependence },
  'batch-mean': { name: 'batch loss equals the mean of the single-pair losses', check: batchMean },
  'lengths-ignored': { name: 'a loss without usesLengths ignores completion lengths: loss, rewards and gradients unchanged when they change', check: lengthsIgnored },
  'reference-formula': { name: 'loss, rewards and gradients match the float64 reference formula within float32 tolerance on ordinary and extreme pairs', check: matchesReference },
};

/** Every generic property, those that do not apply to `loss` marked with the reason. */
export function genericProperties(loss: PreferenceLoss<any>): KitProperty[] {
  return (Object.keys(GENERIC) as GenericPropertyId[]).map((id) => {
    const reason = loss.notApplicable?.[id] ?? implicitReason(loss, id);
    return reason === undefined ? GENERIC[id] : { ...GENERIC[id], notApplicable: reason };
  });
}
