/**
 * How the kit checks each kind of invariant a loss can declare (core/loss/invariants.ts).
 * Inputs on the 2^-8 grid keep rho = policy - reference exact in float32, so properties that must
 * hold exactly (e.g. MinorDPO's zero rejected gradient) are checked exactly.
 */
import fc from 'fast-check';
import type { LossParams } from '../loss/contract.ts';
import type { Invariant, InvariantKind } from '../loss/invariants.ts';
import { dyadic, dyadicPair, type Pair } from './arbitraries.ts';
import { evaluatePair } from './pair-evaluation.ts';
import { assertClose, dpoLoss64 } from './numeric.ts';
import type { PropertyContext } from './property.ts';

const rho = (p: Pair) => ({ chosen: p.policyChosen - p.refChosen, rejected: p.policyRejected - p.refRejected });
const beta = (ctx: PropertyContext) => {
  const value = ctx.params.beta;
  if (typeof value !== 'number') throw new Error(`this invariant needs a numeric 'beta' param (got ${JSON.stringify(value)})`);
  return value;
};
const check = (ctx: PropertyContext, arbitrary: fc.Arbitrary<any>, predicate: (value: any) => void) =>
  fc.assert(fc.property(arbitrary, predicate), ctx.runOptions);

/** A dyadic pair with the rejected log-ratio forced to a sign: below (< 0) or at-or-above (>= 0) the reference. */
function withRejectedRatio(sign: 'below' | 'at-or-above'): fc.Arbitrary<Pair> {
  const ratio = sign === 'below' ? dyadic(-1 / 256, -1e4) : fc.oneof(fc.constant(0), dyadic(1e4, 0));
  return fc.tuple(dyadicPair, ratio).map(([p, r]) => ({ ...p, policyRejected: p.refRejected + r }));
}

function withChosenRatio(sign: 'at-or-above'): fc.Arbitrary<Pair> {
  const ratio = sign === 'at-or-above' ? fc.oneof(fc.constant(0), dyadic(1e4, 0)) : dyadic(-1 / 256, -1e4);
  return fc.tuple(dyadicPair, ratio).map(([p, r]) => ({ ...p, policyChosen: p.refChosen + r }));
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

type Checker<K extends InvariantKind> = {
  name: (invariant: Extract<Invariant, { kind: K }>, params: LossParams) => string;
  check: (ctx: PropertyContext, invariant: Extract<Invariant, { kind: K }>) => void;
};

export const INVARIANT_CHECKERS: { [K in InvariantKind]: Checker<K> } = {
  'rho-shift-invariant': {
    name: () => 'adding one constant to a policy log-prob and its reference leaves loss and gradients unchanged',
    check: (ctx) =>
      check(ctx, fc.tuple(dyadicPair, dyadic(1e4), fc.boolean()), ([p, shift, chosenSide]: [Pair, number, boolean]) => {
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
      check(ctx, dyadicPair, (p: Pair) => {
        const atReference = { ...p, refChosen: p.policyChosen, refRejected: p.policyRejected };
        assertClose(evaluatePair(ctx.loss, ctx.params, atReference).loss, expected, 'loss at rho = 0');
      });
    },
  },
  'non-increasing-in-chosen': {
    name: () => 'raising the policy chosen log-prob never raises the loss',
    check: (ctx) =>
      check(ctx, fc.tuple(dyadicPair, dyadic(1e4, 1 / 256)), ([p, up]: [Pair, number]) => {
        const before = evaluatePair(ctx.loss, ctx.params, p).loss;
        const after = evaluatePair(ctx.loss, ctx.params, { ...p, policyChosen: p.policyChosen + up }).loss;
        if (after > before + 1e-6 * Math.abs(before)) throw new Error(`loss rose from ${before} to ${after} when policy chosen rose by ${up}`);
      }),
  },
  'non-decreasing-in-rejected': {
    name: () => 'raising the policy rejected log-prob never lowers the loss',
    check: (ctx) =>
      check(ctx, fc.tuple(dyadicPair, dyadic(1e4, 1 / 256)), ([p, up]: [Pair, number]) => {
        const before = evaluatePair(ctx.loss, ctx.params, p).loss;
        const after = evaluatePair(ctx.loss, ctx.params, { ...p, policyRejected: p.policyRejected + up }).loss;
        if (after < before - 1e-6 * Math.abs(before)) throw new Error(`loss fell from ${before} to ${after} when policy rejected rose by ${up}`);
      }),
  },
  'rejected-free-below-reference': {
    name: () => 'below the reference (rho_r < 0) the rejected penalty and its gradient are exactly zero',
    check: (ctx) =>
      check(ctx, fc.tuple(withRejectedRatio('below'), dyadic(-1 / 256, -1e4)), ([p, otherRatio]: [Pair, number]) => {
        const a = evaluatePair(ctx.loss, ctx.params, p);
        const b = evaluatePair(ctx.loss, ctx.params, { ...p, policyRejected: p.refRejected + otherRatio });
        if (a.gradRejected !== 0) throw new Error(`rejected gradient is ${a.gradRejected}, not 0, at rho_r = ${rho(p).rejected}`);
        if (a.loss !== b.loss) throw new Error(`loss changed from ${a.loss} to ${b.loss} when rho_r moved below the reference`);
        if (a.gradChosen !== b.gradChosen) throw new Error('chosen gradient changed when rho_r moved below the reference');
      }),
  },
  'equals-dpo-when-rejected-at-or-above-reference': {
    name: () => 'at or above the reference (rho_r >= 0) the loss and its gradients equal DPO’s',
    check: (ctx) => equalsDpo(ctx, withRejectedRatio('at-or-above')),
  },
  'equals-dpo-when-chosen-at-or-above-reference': {
    name: () => 'with the chosen answer at or above the reference (rho_c >= 0) the loss and its gradients equal DPO’s',
    check: (ctx) => equalsDpo(ctx, withChosenRatio('at-or-above')),
  },
  'never-below-dpo': {
    name: () => 'the loss is never below DPO’s with the same beta',
    check: (ctx) => {
      const b = beta(ctx);
      check(ctx, dyadicPair, (p: Pair) => {
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
      const lossAt = (base: Pair, h: number) =>
        evaluatePair(ctx.loss, ctx.params, { ...base, chosenLength: 1, rejectedLength: 1, refChosen: base.refRejected, policyChosen: base.refRejected + h, policyRejected: base.refRejected });
      check(ctx, fc.tuple(dyadicPair, fc.double({ min: 1e-3, max: 100, noNaN: true }), fc.boolean()), ([p, d, above]: [Pair, number, boolean]) => {
        const base = { ...p, refRejected: Math.max(-100, p.refRejected) };
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
      check(ctx, fc.tuple(dyadicPair, fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1e4, noNaN: true }))), ([p, extra]: [Pair, number]) => {
        const r = rho(p);
        // A little past the margin, so that float32 rounding of the inputs cannot land short of it.
        const slack = 1e-4 * margin + 1e-2;
        const pair = { ...p, policyChosen: Math.fround(p.refChosen + r.rejected + margin + slack + extra) };
        const got = evaluatePair(ctx.loss, ctx.params, pair);
        if (got.loss !== 0 || got.gradChosen !== 0 || got.gradRejected !== 0) {
          throw new Error(`loss ${got.loss}, gradients (${got.gradChosen}, ${got.gradRejected}) beyond the margin ${margin} at ${JSON.stringify(pair)}`);
        }
      });
    },
  },
  'per-token-normalized': {
    name: () => 'scaling one answer’s log-probs and its length by the same factor leaves the loss unchanged',
    check: (ctx) =>
      check(ctx, fc.tuple(dyadicPair, fc.constantFrom(2, 4, 8), fc.boolean()), ([p, k, chosenSide]: [Pair, number, boolean]) => {
        const scaled = chosenSide
          ? { ...p, policyChosen: k * p.policyChosen, refChosen: k * p.refChosen, chosenLength: k * p.chosenLength }
          : { ...p, policyRejected: k * p.policyRejected, refRejected: k * p.refRejected, rejectedLength: k * p.rejectedLength };
        const a = evaluatePair(ctx.loss, ctx.params, p);
        const b = evaluatePair(ctx.loss, ctx.params, scaled);
        assertClose(b.loss, a.loss, `loss changed when the ${chosenSide ? 'chosen' : 'rejected'} log-probs and length were scaled by ${k}`);
      }),
  },
  'rewards-are-beta-rho': {
    name: () => 'rewards equal beta * (policy - reference) for chosen and rejected',
    check: (ctx) => {
      const b = beta(ctx);
      check(ctx, dyadicPair, (p: Pair) => {
        const r = rho(p);
        const got = evaluatePair(ctx.loss, ctx.params, p);
        assertClose(got.chosenReward, b * r.chosen, 'chosen reward');
        assertClose(got.rejectedReward, b * r.rejected, 'rejected reward');
      });
    },
  },
};
