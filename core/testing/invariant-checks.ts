/**
 * How the kit checks each kind of invariant a loss can declare (core/loss/invariants.ts), and the
 * properties a loss defines itself. Inputs on the 2^-8 grid keep rho = policy - reference exact in
 * float32, so properties that must hold exactly (e.g. MinorDPO's zero rejected gradient) are
 * checked exactly. Every generated pair, moved or not, lies inside the loss's input domain.
 */
import fc from 'fast-check';
import type { LossParams, LossProperty, PairValues } from '../loss/contract.ts';
import { dpoLoss as dpoLoss64 } from '../loss/math64.ts';
import type { Invariant, InvariantKind } from '../loss/invariants.ts';
import { dyadic, type Pair } from './arbitraries.ts';
import { evaluatePair } from './pair-evaluation.ts';
import { assertClose } from './numeric.ts';
import type { PropertyContext } from './property.ts';
import { pairValues } from './reference-check.ts';

const GRID = 256;
const onGrid = (x: number) => Math.round(x * GRID) / GRID;
/** The grid point a fraction u of the way from `low` to `high`. */
const between = (low: number, high: number, u: number) => Math.min(high, Math.max(low, onGrid(low + u * (high - low))));
const unit = fc.double({ min: 0, max: 1, noNaN: true });

const rho = (p: Pair) => ({ chosen: p.policyChosen - p.refChosen, rejected: p.policyRejected - p.refRejected });
const beta = (ctx: PropertyContext) => {
  const value = ctx.params.beta;
  if (typeof value !== 'number') throw new Error(`this invariant needs a numeric 'beta' param (got ${JSON.stringify(value)})`);
  return value;
};
const check = (ctx: PropertyContext, arbitrary: fc.Arbitrary<any>, predicate: (value: any) => void) =>
  fc.assert(fc.property(arbitrary, predicate), ctx.runOptions);

/** A dyadic pair with the log-ratio of one side at or above 0 (`at-or-above`) or strictly below. */
function withRatioSign(ctx: PropertyContext, side: 'chosen' | 'rejected', sign: 'below' | 'at-or-above'): fc.Arbitrary<Pair> {
  const span = Math.min(1e4, ctx.gen.span);
  const ratio = sign === 'below' ? dyadic(-1 / GRID, -span) : fc.oneof(fc.constant(0), dyadic(span, 0));
  return ctx.gen.withRatio(side, ratio);
}

/** Checks the loss matches float64 DPO (same beta) on `arbitrary`, in value and both gradients. */
function equalsDpo(ctx: PropertyContext, arbitrary: fc.Arbitrary<Pair>): void {
  const b = beta(ctx);
  check(ctx, arbitrary, (p: Pair) => {
    const r = rho(p);
    const got = evaluatePair(ctx.loss, ctx.params, p);
    assertClose(got.loss, dpoLoss64(r.chosen, r.rejected, b), `loss differs from DPO at rho = ${JSON.stringify(r)}`);
    const z = b * (r.chosen - r.rejected);
    const dpoGrad = -b / (1 + Math.exp(z)); // d/d policyChosen of softplus(-z)
    assertClose(got.gradChosen, dpoGrad, `chosen gradient differs from DPO at rho = ${JSON.stringify(r)}`);
    assertClose(got.gradRejected, -dpoGrad, `rejected gradient differs from DPO at rho = ${JSON.stringify(r)}`);
  });
}

/** A dyadic pair and a rise of one policy log-prob (>= 2^-8) that keeps it inside the domain. */
function withRise(ctx: PropertyContext, key: 'policyChosen' | 'policyRejected'): fc.Arbitrary<[Pair, number]> {
  return fc
    .tuple(ctx.gen.dyadicPair, unit, unit)
    .map(([p, u, v]) => {
      const start = between(ctx.domain.min, ctx.domain.max - 1 / GRID, u);
      return [{ ...p, [key]: start }, between(1 / GRID, ctx.domain.max - start, v)] as [Pair, number];
    });
}

type Checker<K extends InvariantKind> = {
  name: (invariant: Extract<Invariant, { kind: K }>, params: LossParams) => string;
  check: (ctx: PropertyContext, invariant: Extract<Invariant, { kind: K }>) => void;
};

export const INVARIANT_CHECKERS: { [K in InvariantKind]: Checker<K> } = {
  'rho-shift-invariant': {
    name: () => 'adding one constant to a policy log-prob and its reference leaves loss and gradients unchanged',
    check: (ctx) =>
      check(ctx, fc.tuple(ctx.gen.dyadicPair, unit, fc.boolean()), ([p, u, chosenSide]: [Pair, number, boolean]) => {
        const [policy, ref] = chosenSide ? [p.policyChosen, p.refChosen] : [p.policyRejected, p.refRejected];
        const shift = between(ctx.domain.min - Math.min(policy, ref), ctx.domain.max - Math.max(policy, ref), u);
        const shifted = chosenSide
          ? { ...p, policyChosen: p.policyChosen + shift, refChosen: p.refChosen + shift }
          : { ...p, policyRejected: p.policyRejected + shift, refRejected: p.refRejected + shift };
        const a = evaluatePair(ctx.loss, ctx.params, p);
        const b = evaluatePair(ctx.loss, ctx.params, shifted);
        assertClose(b.loss, a.loss, `loss changed under a shift of ${shift}`);
        assertClose(b.gradChosen, a.gradChosen, `chosen gradient changed under a shift of ${shift}`);
        assertClose(b.gradRejected, a.gradRejected, `rejected gradient changed under a shift of ${shift}`);
      }),
  },
  'value-at-zero-rho': {
    name: () => 'with policy equal to reference (rho = 0) the loss takes its declared value',
    check: (ctx, invariant) => {
      const expected = invariant.value(ctx.params);
      check(ctx, ctx.gen.dyadicPair, (p: Pair) => {
        const atReference = { ...p, refChosen: p.policyChosen, refRejected: p.policyRejected };
        assertClose(evaluatePair(ctx.loss, ctx.params, atReference).loss, expected, 'loss at rho = 0');
      });
    },
  },
  'non-increasing-in-chosen': {
    name: () => 'raising the policy chosen log-prob never raises the loss',
    check: (ctx) =>
      check(ctx, withRise(ctx, 'policyChosen'), ([p, up]: [Pair, number]) => {
        const before = evaluatePair(ctx.loss, ctx.params, p).loss;
        const after = evaluatePair(ctx.loss, ctx.params, { ...p, policyChosen: p.policyChosen + up }).loss;
        if (after > before + 1e-6 * Math.abs(before)) throw new Error(`loss rose from ${before} to ${after} when policy chosen rose by ${up}`);
      }),
  },
  'non-decreasing-in-rejected': {
    name: () => 'raising the policy rejected log-prob never lowers the loss',
    check: (ctx) =>
      check(ctx, withRise(ctx, 'policyRejected'), ([p, up]: [Pair, number]) => {
        const before = evaluatePair(ctx.loss, ctx.params, p).loss;
        const after = evaluatePair(ctx.loss, ctx.params, { ...p, policyRejected: p.policyRejected + up }).loss;
        if (after < before - 1e-6 * Math.abs(before)) throw new Error(`loss fell from ${before} to ${after} when policy rejected rose by ${up}`);
      }),
  },
  'rejected-free-below-reference': {
    name: () => 'below the reference (rho_r < 0) the rejected penalty and its gradient are exactly zero',
    check: (ctx) =>
      check(ctx, fc.tuple(withRatioSign(ctx, 'rejected', 'below'), unit), ([p, u]: [Pair, number]) => {
        const a = evaluatePair(ctx.loss, ctx.params, p);
        const other = between(ctx.domain.min, p.refRejected - 1 / GRID, u);
        const b = evaluatePair(ctx.loss, ctx.params, { ...p, policyRejected: other });
        if (a.gradRejected !== 0) throw new Error(`rejected gradient is ${a.gradRejected}, not 0, at rho_r = ${rho(p).rejected}`);
        if (a.loss !== b.loss) throw new Error(`loss changed from ${a.loss} to ${b.loss} when rho_r moved below the reference`);
        if (a.gradChosen !== b.gradChosen) throw new Error('chosen gradient changed when rho_r moved below the reference');
      }),
  },
  'equals-dpo-when-rejected-at-or-above-reference': {
    name: () => 'at or above the reference (rho_r >= 0) the loss and its gradients equal DPO’s',
    check: (ctx) => equalsDpo(ctx, withRatioSign(ctx, 'rejected', 'at-or-above')),
  },
  'equals-dpo-when-chosen-at-or-above-reference': {
    name: () => 'with the chosen answer at or above the reference (rho_c >= 0) the loss and its gradients equal DPO’s',
    check: (ctx) => equalsDpo(ctx, withRatioSign(ctx, 'chosen', 'at-or-above')),
  },
  'never-below-dpo': {
    name: () => 'the loss is never below DPO’s with the same beta',
    check: (ctx) => {
      const b = beta(ctx);
      check(ctx, ctx.gen.dyadicPair, (p: Pair) => {
        const r = rho(p);
        const dpo = dpoLoss64(r.chosen, r.rejected, b);
        const got = evaluatePair(ctx.loss, ctx.params, p).loss;
        if (got < dpo - Math.max(1e-6, 1e-5 * dpo)) throw new Error(`loss ${got} is below DPO's ${dpo} at rho = ${JSON.stringify(r)}`);
      });
    },
  },
  'minimal-at-margin': {
    name: (invariant, params) => `as a function of the margin h = rho_c - rho_r the loss is minimal, with zero gradient, at its declared target h = ${invariant.at(params)}`,
    check: (ctx, invariant) => {
      const target = invariant.at(ctx.params);
      const reach = Math.abs(target) + 100;
      const [low, high] = [ctx.domain.min + reach, ctx.domain.max - reach];
      if (low > high) throw new Error(`the domain is too narrow to move the margin 100 around its target ${target}`);
      const length = ctx.domain.minLength;
      const lossAt = (base: number, h: number) =>
        evaluatePair(ctx.loss, ctx.params, { chosenLength: length, rejectedLength: length, refChosen: base, refRejected: base, policyRejected: base, policyChosen: base + h * length });
      check(ctx, fc.tuple(unit, fc.double({ min: 1e-3, max: 100, noNaN: true }), fc.boolean()), ([u, d, above]: [number, number, boolean]) => {
        const base = between(low, high, u);
        const best = lossAt(base, target);
        const other = lossAt(base, above ? target + d : target - d);
        if (other.loss < best.loss - 1e-6 * Math.max(1, Math.abs(best.loss))) {
          throw new Error(`loss ${other.loss} at h = ${target + (above ? d : -d)} is below ${best.loss} at the declared minimum h = ${target}`);
        }
        if (Math.abs(best.gradChosen) > 1e-3 * Math.max(1, Math.abs(target))) {
          throw new Error(`gradient at the declared minimum h = ${target} is ${best.gradChosen}, not 0`);
        }
      });
    },
  },
  'zero-beyond-margin': {
    name: () => 'once the margin rho_c - rho_r reaches the declared margin the loss and its gradients are zero',
    check: (ctx, invariant) => {
      const margin = invariant.margin(ctx.params);
      // A little past the margin, so that float32 rounding of the inputs cannot land short of it.
      const slack = 1e-4 * margin + 1e-2;
      const extra = fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: Math.max(1e-3, Math.min(1e4, ctx.gen.span / 4)), noNaN: true }));
      check(ctx, fc.tuple(ctx.gen.dyadicPair, extra, unit), ([p, more, u]: [Pair, number, number]) => {
        const ratio = rho(p).rejected + margin + slack + more; // the chosen log-ratio that puts h past the margin
        const refChosen = Math.fround(between(ctx.domain.min - Math.min(0, ratio), ctx.domain.max - Math.max(0, ratio), u));
        const pair = { ...p, refChosen, policyChosen: Math.fround(refChosen + ratio) };
        if (pair.policyChosen > ctx.domain.max || pair.policyChosen < ctx.domain.min) return; // this margin does not fit the domain
        const got = evaluatePair(ctx.loss, ctx.params, pair);
        if (got.loss !== 0 || got.gradChosen !== 0 || got.gradRejected !== 0) {
          throw new Error(`loss ${got.loss}, gradients (${got.gradChosen}, ${got.gradRejected}) beyond the margin ${margin} at ${JSON.stringify(pair)}`);
        }
      });
    },
  },
  'rewards-are-beta-rho': {
    name: () => 'rewards equal beta * (policy - reference) for chosen and rejected',
    check: (ctx) => {
      const b = beta(ctx);
      check(ctx, ctx.gen.dyadicPair, (p: Pair) => {
        const r = rho(p);
        const got = evaluatePair(ctx.loss, ctx.params, p);
        assertClose(got.chosenReward, b * r.chosen, 'chosen reward');
        assertClose(got.rejectedReward, b * r.rejected, 'rejected reward');
      });
    },
  },
  'per-token-normalized': {
    name: () => 'scaling one answer’s log-probs and its length by the same factor leaves the loss unchanged',
    check: (ctx) => {
      const d = ctx.domain;
      const top = d.max >= 0 ? d.max / 8 : d.max;
      const logp = dyadic(top, Math.max(d.min / 8, top - 20 * 8));
      const length = fc.integer({ min: d.minLength, max: Math.max(d.minLength, Math.floor(d.maxLength / 8)) });
      const base = fc.record({ policyChosen: logp, policyRejected: logp, refChosen: logp, refRejected: logp, chosenLength: length, rejectedLength: length });
      check(ctx, fc.tuple(base, fc.constantFrom(2, 4, 8), fc.boolean()), ([p, k, chosenSide]: [Pair, number, boolean]) => {
        const scaled = chosenSide
          ? { ...p, policyChosen: k * p.policyChosen, refChosen: k * p.refChosen, chosenLength: k * p.chosenLength }
          : { ...p, policyRejected: k * p.policyRejected, refRejected: k * p.refRejected, rejectedLength: k * p.rejectedLength };
        const a = evaluatePair(ctx.loss, ctx.params, p);
        const b = evaluatePair(ctx.loss, ctx.params, scaled);
        assertClose(b.loss, a.loss, `loss changed when the ${chosenSide ? 'chosen' : 'rejected'} log-probs and length were scaled by ${k}`);
      });
    },
  },
};

/** Runs a property the loss defines itself on pairs drawn inside its domain. */
export function checkLossProperty(ctx: PropertyContext, property: LossProperty<any>): void {
  const evaluate = (pair: PairValues) => evaluatePair(ctx.loss, ctx.params, { refChosen: 0, refRejected: 0, ...pair } as Pair);
  check(ctx, ctx.gen.pair, (p: Pair) => {
    if (property.check(pairValues(ctx.loss, p), evaluate, ctx.params) === false) throw new Error(`does not hold at ${JSON.stringify(pairValues(ctx.loss, p))}`);
  });
}
