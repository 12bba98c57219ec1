/**
 * Inputs for comparing the float32 losses with their float64 formulas. Every value lies on a
 * dyadic grid and every completion length is a power of two, so float32 holds the inputs, rho =
 * policy - reference, rho_c - rho_r and rho / L exactly: any disagreement beyond float32 precision
 * then comes from how the loss is formulated, not from rounding its inputs.
 */
import fc from 'fast-check';
import type { PairInput } from './compare.ts';

/** A value k / grid in [min, max]. */
const onGrid = (min: number, max: number, grid: number) =>
  fc.integer({ min: Math.ceil(min * grid), max: Math.floor(max * grid) }).map((k) => k / grid);

const powerOfTwoLength = fc.integer({ min: 0, max: 12 }).map((k) => 2 ** k);

function pairOf(logp: fc.Arbitrary<number>, nearReference: fc.Arbitrary<number>): fc.Arbitrary<PairInput> {
  // A reference drawn on its own (any rho) or close to the policy (small rho, where losses bend).
  const reference = (policy: fc.Arbitrary<number>) =>
    fc.tuple(policy, fc.oneof(logp.map((r) => ({ absolute: r })), nearReference.map((d) => ({ offset: d }))));
  return fc
    .record({ c: reference(logp), r: reference(logp), lc: powerOfTwoLength, lr: powerOfTwoLength })
    .map(({ c, r, lc, lr }) => {
      const ref = ([policy, spec]: [number, { absolute?: number; offset?: number }]) => spec.absolute ?? policy - spec.offset!;
      return { policyChosen: c[0], policyRejected: r[0], refChosen: ref(c), refRejected: ref(r), chosenLength: lc, rejectedLength: lr };
    });
}

/** Ordinary inputs: log-probs in [-60, 0] on a 2^-16 grid (fine enough to look continuous). */
export const randomPair = pairOf(onGrid(-60, 0, 2 ** 16), onGrid(-2, 2, 2 ** 16));

/** Extreme inputs: log-probs down to -1e4 on a 2^-6 grid, with small and huge log-ratios. */
export const extremePair = pairOf(
  fc.oneof(onGrid(-20, 0, 64), onGrid(-1e4, 0, 64), fc.constantFrom(0, -1e4)),
  fc.oneof(onGrid(-1, 1, 64), fc.constant(0)),
);

/** A batch of 1 to `max` pairs. */
export const batch = (pair: fc.Arbitrary<PairInput>, max = 6) => fc.array(pair, { minLength: 1, maxLength: max });
