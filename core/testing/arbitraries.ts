/**
 * fast-check generators of preference pairs inside a loss's input domain (contract.ts
 * `InputDomain`). Log-probs are float32 values spanning ordinary and extreme magnitudes (down to
 * the domain's minimum, -1e4 by default) and the bounds the domain includes. `dyadic` generators
 * draw on a 2^-8 grid, on which float32 sums and differences are exact, for properties that must
 * hold exactly. A domain whose log-probs lie strictly below `max` is drawn up to max - 2^-8.
 */
import fc from 'fast-check';
import type { InputDomain, PreferenceLoss } from '../loss/contract.ts';

/** One pair of summed log-probs and completion lengths, as plain numbers (references always drawn). */
export interface Pair {
  policyChosen: number;
  policyRejected: number;
  refChosen: number;
  refRejected: number;
  chosenLength: number;
  rejectedLength: number;
}

const GRID = 256;
const f32 = (x: number) => Math.fround(x);

/** A loss's input domain with every default filled in. */
export interface Domain {
  /** Lowest log-prob. */
  min: number;
  /** Highest log-prob the kit draws (below `bound` by a grid step when the bound is excluded). */
  max: number;
  /** The domain's upper bound as declared. */
  bound: number;
  /** Whether `bound` itself is outside the domain. */
  boundExcluded: boolean;
  minLength: number;
  maxLength: number;
}

export function resolveDomain(domain: InputDomain | undefined): Domain {
  const bound = domain?.logp?.max ?? 0;
  const boundExcluded = domain?.logp?.maxExclusive ?? false;
  const min = domain?.logp?.min ?? -1e4;
  return {
    min,
    bound,
    boundExcluded,
    max: boundExcluded ? (Math.floor(bound * GRID) - (Number.isInteger(bound * GRID) ? 1 : 0)) / GRID : bound,
    minLength: domain?.length?.min ?? 1,
    maxLength: domain?.length?.max ?? 4096,
  };
}

/** Whether a log-prob lies inside the domain. */
export function inDomain(d: Domain, x: number): boolean {
  return x >= d.min && (d.boundExcluded ? x < d.bound : x <= d.bound);
}

/** `x` moved into [d.min, d.max]. */
export function clampLogp(d: Domain, x: number): number {
  return Math.min(d.max, Math.max(d.min, x));
}

/** A value on the 2^-8 grid in [min, max]. */
export function dyadic(max: number, min = -max): fc.Arbitrary<number> {
  return fc.integer({ min: Math.ceil(min * GRID), max: Math.floor(max * GRID) }).map((k) => k / GRID);
}

/** The generators of one domain. */
export function arbitraries(d: Domain) {
  const near = Math.max(d.min, d.max - 20);
  const mid = Math.max(d.min, d.max - 1000);
  /** A float32 log-prob: near the top of the domain, moderate, extreme, or a bound. */
  const logp: fc.Arbitrary<number> = fc
    .oneof(
      fc.double({ min: near, max: d.max, noNaN: true }),
      fc.double({ min: mid, max: d.max, noNaN: true }),
      fc.double({ min: d.min, max: d.max, noNaN: true }),
      fc.constantFrom(d.max, d.min),
    )
    .map((x) => clampLogp(d, f32(x)));
  const lengths = fc.oneof(
    fc.integer({ min: d.minLength, max: Math.min(d.maxLength, d.minLength + 7) }),
    fc.integer({ min: d.minLength, max: d.maxLength }),
  );
  /** A policy-minus-reference difference: near zero, moderate, or extreme (clamped into the domain). */
  const logRatio = fc.oneof(
    fc.double({ min: -5, max: 5, noNaN: true }),
    fc.double({ min: -100, max: 100, noNaN: true }),
    fc.double({ min: d.min - d.max, max: d.max - d.min, noNaN: true }),
    fc.constant(0),
  );
  /** Pairs of policy log-probs, references at the drawn log-ratios from them (inside the domain), and lengths. */
  const pairsOf = (policy: fc.Arbitrary<number>, ratio: fc.Arbitrary<number>, length: fc.Arbitrary<number>): fc.Arbitrary<Pair> =>
    fc.record({ pc: policy, pr: policy, dc: ratio, dr: ratio, lc: length, lr: length }).map(({ pc, pr, dc, dr, lc, lr }) => ({
      policyChosen: pc,
      policyRejected: pr,
      refChosen: clampLogp(d, f32(pc - dc)),
      refRejected: clampLogp(d, f32(pr - dr)),
      chosenLength: lc,
      rejectedLength: lr,
    }));
  /** A pair whose references lie near or far from the policy, at any magnitude in the domain. */
  const pair = pairsOf(logp, logRatio, lengths);
  const dyadicLogp = fc.oneof(dyadic(d.max, Math.max(d.min, d.max - 20)), dyadic(d.max, d.min));
  /** A pair on the 2^-8 grid: rho = policy - reference is exact in float32. */
  const dyadicPair: fc.Arbitrary<Pair> = fc
    .record({ pc: dyadicLogp, pr: dyadicLogp, rc: dyadicLogp, rr: dyadicLogp, lc: lengths, lr: lengths })
    .map(({ pc, pr, rc, rr, lc, lr }) => ({ policyChosen: pc, policyRejected: pr, refChosen: rc, refRejected: rr, chosenLength: lc, rejectedLength: lr }));
  /** A pair of moderate magnitudes (log-probs within 30 of the top of the domain, short completions). */
  const moderateLogp = fc.double({ min: Math.max(d.min, d.max - 30), max: d.max, noNaN: true }).map(f32);
  const moderateRatio = fc.double({ min: -15, max: 15, noNaN: true });
  const shortLength = fc.integer({ min: d.minLength, max: Math.min(d.maxLength, d.minLength + 7) });
  const moderatePair = pairsOf(moderateLogp, moderateRatio, shortLength);
  /**
   * A dyadic pair whose reference sits at log-ratio `ratio` from its policy on one side, both
   * inside the domain: the base is drawn so that base and base + ratio fit.
   */
  const withRatio = (side: 'chosen' | 'rejected', ratio: fc.Arbitrary<number>): fc.Arbitrary<Pair> =>
    fc.tuple(dyadicPair, ratio, fc.double({ min: 0, max: 1, noNaN: true })).map(([p, r, u]) => {
      const low = Math.max(d.min, d.min - r);
      const high = Math.min(d.max, d.max - r);
      const ref = Math.round((low + u * (high - low)) * GRID) / GRID;
      return side === 'chosen' ? { ...p, refChosen: ref, policyChosen: ref + r } : { ...p, refRejected: ref, policyRejected: ref + r };
    });
  return { logp, lengths, pair, dyadicPair, moderatePair, withRatio, span: d.max - d.min };
}

export type Arbitraries = ReturnType<typeof arbitraries>;

/** A batch of 1 to `maxLength` pairs. */
export function batchOf(arbitrary: fc.Arbitrary<Pair>, maxLength = 8): fc.Arbitrary<Pair[]> {
  return fc.array(arbitrary, { minLength: 1, maxLength });
}

/** The loss's domain, resolved. */
export function domainOf(loss: PreferenceLoss<any>): Domain {
  return resolveDomain(loss.domain);
}
