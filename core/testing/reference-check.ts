/**
 * The reference-formula check: `compute()` (float32, on the current backend) against the float64
 * formula the loss declares (`reference` or `batchReference`), on losses, rewards (where the
 * formula gives them) and both policy gradients (the formula's own, or float64 central
 * differences of it).
 *
 * Tolerance, per value: 1e-5 * |expected| + 1e-6, plus how far the float64 formula itself moves
 * when every input log-prob moves by about 4 float32 ulps — float32 cannot hold the inputs of an
 * ill-conditioned pair (a tiny margin of two log-probs near -1e4) more precisely than that, so no
 * float32 loss can be asked for more. A wrong formula (a flipped sign, a missing term) misses by
 * far more than either.
 */
import type { LossParams, PairValues, PreferenceLoss, ReferenceValues } from '../loss/contract.ts';
import { inDomain, type Domain, type Pair } from './arbitraries.ts';

/** The reference's values for one pair, gradients always present. */
export interface ReferenceResult {
  loss: number;
  chosenReward?: number;
  rejectedReward?: number;
  gradChosen: number;
  gradRejected: number;
}

const FIELDS = ['loss', 'chosenReward', 'rejectedReward', 'gradChosen', 'gradRejected'] as const;
type Field = (typeof FIELDS)[number];

/** A pair as the loss and its reference see it: no reference fields for a reference-free loss. */
export function pairValues(loss: PreferenceLoss<any>, pair: Pair | PairValues): PairValues {
  const { refChosen, refRejected, ...rest } = pair;
  return loss.requiresReference ? { ...rest, refChosen, refRejected } : rest;
}

export function hasReference(loss: PreferenceLoss<any>): boolean {
  return typeof loss.reference === 'function' || typeof loss.batchReference === 'function';
}

/** The formula's raw values on a batch, numbers turned into { loss }. */
function formulaValues(loss: PreferenceLoss<any>, params: LossParams, pairs: PairValues[]): ReferenceValues[] {
  const values = loss.batchReference ? loss.batchReference(pairs, params) : pairs.map((p) => loss.reference!(p, params));
  if (!Array.isArray(values) || values.length !== pairs.length) {
    throw new Error(`the reference formula returned ${Array.isArray(values) ? values.length : typeof values} values for ${pairs.length} pairs`);
  }
  return values.map((v) => (typeof v === 'number' ? { loss: v } : v));
}

/**
 * d(sum of the formula's losses) / d pairs[i][key] by float64 differences with a step relative to
 * the input, inside the domain (one-sided, second order, at the domain's upper bound).
 */
function formulaGradient(loss: PreferenceLoss<any>, params: LossParams, pairs: PairValues[], i: number, key: 'policyChosen' | 'policyRejected', d: Domain): number {
  const x = pairs[i]![key];
  const total = (delta: number) => {
    const moved = pairs.map((p, j) => (j === i ? { ...p, [key]: x + delta } : p));
    const values = loss.batchReference ? formulaValues(loss, params, moved) : [formulaValues(loss, params, [moved[i]!])[0]!];
    return values.reduce((sum, v) => sum + v.loss, 0);
  };
  const h = 1e-6 * Math.max(1, Math.abs(x));
  if (inDomain(d, x + h) && inDomain(d, x - h)) return (total(h) - total(-h)) / (2 * h);
  if (inDomain(d, x - 2 * h)) return (3 * total(0) - 4 * total(-h) + total(-2 * h)) / (2 * h);
  return (-3 * total(0) + 4 * total(h) - total(2 * h)) / (2 * h);
}

/** The float64 reference of the loss on a batch, with gradients (the formula's, or its differences). */
export function referenceOf(loss: PreferenceLoss<any>, params: LossParams, pairs: PairValues[], d: Domain): ReferenceResult[] {
  return formulaValues(loss, params, pairs).map((v, i) => ({
    ...v,
    gradChosen: v.gradChosen ?? formulaGradient(loss, params, pairs, i, 'policyChosen', d),
    gradRejected: v.gradRejected ?? formulaGradient(loss, params, pairs, i, 'policyRejected', d),
  }));
}

const INPUT_JITTER = 2 ** -21; // about 4 float32 ulps, relative
const LOGP_KEYS = ['policyChosen', 'policyRejected', 'refChosen', 'refRejected'] as const;

/** How far each reference value moves when the input log-probs move by about 4 float32 ulps. */
function inputSensitivity(loss: PreferenceLoss<any>, params: LossParams, pairs: PairValues[], d: Domain, base: ReferenceResult[]): Array<Record<Field, number>> {
  const spread = base.map(() => Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<Field, number>);
  for (let trial = 0; trial < 4; trial++) {
    const jittered = pairs.map((p, i) => {
      const q: PairValues = { ...p };
      LOGP_KEYS.forEach((key, k) => {
        const x = q[key];
        if (x === undefined) return;
        const sign = ((trial * 7 + i * 5 + k * 3) % 4 < 2) === (trial % 2 === 0) ? 1 : -1;
        const moved = x * (1 + sign * INPUT_JITTER);
        if (inDomain(d, moved)) q[key] = moved;
      });
      return q;
    });
    referenceOf(loss, params, jittered, d).forEach((r, i) => {
      for (const f of FIELDS) {
        const a = r[f];
        const b = base[i]![f];
        if (a !== undefined && b !== undefined) spread[i]![f] = Math.max(spread[i]![f], Math.abs(a - b));
      }
    });
  }
  return spread;
}

/** The float32 values of a batch, per pair, as the kit evaluated them. */
export type Computed = Array<Record<Field, number>>;

/**
 * Throws, naming the pair, the field and both values, where the computed values differ from the
 * float64 reference beyond the tolerance above.
 */
export function assertMatchesReference(loss: PreferenceLoss<any>, params: LossParams, pairs: PairValues[], computed: Computed, d: Domain): void {
  const expected = referenceOf(loss, params, pairs, d);
  const spread = inputSensitivity(loss, params, pairs, d, expected);
  expected.forEach((want, i) => {
    for (const field of FIELDS) {
      const value = want[field];
      if (value === undefined) continue;
      if (!Number.isFinite(value)) throw new Error(`the float64 reference gives ${field} = ${value} for pair ${i} ${JSON.stringify(pairs[i])}`);
      const got = computed[i]![field];
      const tolerance = 1e-5 * Math.abs(value) + 1e-6 + spread[i]![field];
      if (!(Math.abs(got - value) <= tolerance)) {
        throw new Error(
          `${field} of pair ${i}: compute() gives ${got}, the float64 reference ${value} ` +
            `(difference ${Math.abs(got - value).toExponential(2)} > tolerance ${tolerance.toExponential(2)}) at ${JSON.stringify(pairs[i])}`,
        );
      }
    }
  });
}
