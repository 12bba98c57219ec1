/**
 * fast-check generators of preference pairs. Log-probs are float32 values and span ordinary
 * magnitudes and extreme ones (down to -1e4). `dyadicPair` draws values on a 2^-8 grid, on which
 * float32 sums and differences are exact, for properties that must hold exactly.
 */
import fc from 'fast-check';

/** One pair of summed log-probs and completion lengths, as plain numbers. */
export interface Pair {
  policyChosen: number;
  policyRejected: number;
  refChosen: number;
  refRejected: number;
  chosenLength: number;
  rejectedLength: number;
}

export const EXTREME_LOGP = 1e4;
const GRID = 256;

const f32 = (x: number) => Math.fround(x);

/** A log-prob in [-1e4, 0]: small, medium and extreme magnitudes, and the bounds. */
export const logp: fc.Arbitrary<number> = fc
  .oneof(
    fc.double({ min: -20, max: 0, noNaN: true }),
    fc.double({ min: -1000, max: 0, noNaN: true }),
    fc.double({ min: -EXTREME_LOGP, max: 0, noNaN: true }),
    fc.constantFrom(0, -EXTREME_LOGP),
  )
  .map(f32);

/** A policy-minus-reference difference: near zero, moderate, or extreme. */
const logRatio: fc.Arbitrary<number> = fc.oneof(
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.double({ min: -100, max: 100, noNaN: true }),
  fc.double({ min: -EXTREME_LOGP, max: EXTREME_LOGP, noNaN: true }),
  fc.constant(0),
);

export const completionLength: fc.Arbitrary<number> = fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 4096 }));

/** A pair whose references lie near or far from the policy, at any magnitude up to 1e4. */
export const pair: fc.Arbitrary<Pair> = fc
  .record({ pc: logp, pr: logp, dc: logRatio, dr: logRatio, lc: completionLength, lr: completionLength })
  .map(({ pc, pr, dc, dr, lc, lr }) => ({
    policyChosen: pc,
    policyRejected: pr,
    refChosen: f32(Math.max(-2 * EXTREME_LOGP, Math.min(0, pc - dc))),
    refRejected: f32(Math.max(-2 * EXTREME_LOGP, Math.min(0, pr - dr))),
    chosenLength: lc,
    rejectedLength: lr,
  }));

/** A value on the 2^-8 grid in [-max, max] (exact in float32 sums up to 2^15). */
export function dyadic(max: number, min = -max): fc.Arbitrary<number> {
  return fc.integer({ min: Math.ceil(min * GRID), max: Math.floor(max * GRID) }).map((k) => k / GRID);
}

/** A pair on the 2^-8 grid, log-probs in [-1e4, 0]: rho = policy - reference is exact in float32. */
export const dyadicPair: fc.Arbitrary<Pair> = fc
  .record({
    pc: fc.oneof(dyadic(0, -20), dyadic(0, -EXTREME_LOGP)),
    pr: fc.oneof(dyadic(0, -20), dyadic(0, -EXTREME_LOGP)),
    rc: fc.oneof(dyadic(0, -20), dyadic(0, -EXTREME_LOGP)),
    rr: fc.oneof(dyadic(0, -20), dyadic(0, -EXTREME_LOGP)),
    lc: completionLength,
    lr: completionLength,
  })
  .map(({ pc, pr, rc, rr, lc, lr }) => ({
    policyChosen: pc, policyRejected: pr, refChosen: rc, refRejected: rr, chosenLength: lc, rejectedLength: lr,
  }));

/** A pair of moderate magnitudes (|log-prob| <= 30, short completions) for finite-difference checks. */
export const moderatePair: fc.Arbitrary<Pair> = fc
  .record({
    pc: fc.double({ min: -30, max: 0, noNaN: true }),
    pr: fc.double({ min: -30, max: 0, noNaN: true }),
    dc: fc.double({ min: -15, max: 15, noNaN: true }),
    dr: fc.double({ min: -15, max: 15, noNaN: true }),
    lc: fc.integer({ min: 1, max: 8 }),
    lr: fc.integer({ min: 1, max: 8 }),
  })
  .map(({ pc, pr, dc, dr, lc, lr }) => ({
    policyChosen: f32(pc), policyRejected: f32(pr), refChosen: f32(pc - dc), refRejected: f32(pr - dr), chosenLength: lc, rejectedLength: lr,
  }));

/** A batch of 1 to 8 pairs. */
export function batchOf(arbitrary: fc.Arbitrary<Pair>, maxLength = 8): fc.Arbitrary<Pair[]> {
  return fc.array(arbitrary, { minLength: 1, maxLength });
}
