/**
 * Float64 building blocks for the reference formulas losses declare (`reference`): plain numbers,
 * each stable over the whole real line. Plugins use them as `f64.softplus(x)` and so on.
 */
import type { PairValues } from './contract.ts';

/** log(1 + e^x). */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** 1 / (1 + e^-x). */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log sigma(x) = -softplus(-x). */
export function logSigmoid(x: number): number {
  return -softplus(-x);
}

/** Conservative (label-smoothed) logistic loss of a margin z and its derivative d/dz. */
export function smoothedLogistic(z: number, eps: number): { value: number; slope: number } {
  return {
    value: (1 - eps) * softplus(-z) + eps * softplus(z),
    slope: -(1 - eps) * sigmoid(-z) + eps * sigmoid(z),
  };
}

/** rho_c and rho_r of one pair: policy minus reference log-probs. */
export function logRatios(pair: PairValues): { chosen: number; rejected: number } {
  if (pair.refChosen === undefined || pair.refRejected === undefined) throw new Error('this reference formula needs refChosen and refRejected');
  return { chosen: pair.policyChosen - pair.refChosen, rejected: pair.policyRejected - pair.refRejected };
}

/** Indices of `values` in stable ascending order (ties keep index order). */
export function stableArgsort(values: number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
}

/** TRL's rewards in float64: beta * rho for chosen and rejected. */
export function betaRewards(rho: { chosen: number; rejected: number }, beta: number): { chosenReward: number; rejectedReward: number } {
  return { chosenReward: beta * rho.chosen, rejectedReward: beta * rho.rejected };
}

/**
 * The AOT losses' float64 batch formula: the k-th smallest `left` value against the k-th smallest
 * `right` value, z_k = beta * (left_(k) - right_(k)), loss_k the conservative logistic loss of
 * z_k. Paired (aot): left = policy margin pi_c - pi_r, right = reference margin. Unpaired
 * (aot-unpaired): left = rho_c, right = rho_r. Each gradient goes to the pair whose value landed
 * at position k; rewards are beta * rho per pair.
 */
export function sortedLogistic(pairs: PairValues[], beta: number, eps: number, paired: boolean) {
  const rhos = pairs.map(logRatios);
  const left = pairs.map((p, i) => (paired ? p.policyChosen - p.policyRejected : rhos[i]!.chosen));
  const right = pairs.map((p, i) => (paired ? p.refChosen! - p.refRejected! : rhos[i]!.rejected));
  const lo = stableArgsort(left);
  const ro = stableArgsort(right);
  const results = rhos.map((rho) => ({ loss: 0, gradChosen: 0, gradRejected: 0, ...betaRewards(rho, beta) }));
  lo.forEach((i, k) => {
    const j = ro[k]!;
    const { value, slope } = smoothedLogistic(beta * (left[i]! - right[j]!), eps);
    results[k]!.loss = value;
    results[i]!.gradChosen += beta * slope; // d left_i / d policyChosen_i = 1
    if (paired) results[i]!.gradRejected -= beta * slope; // left_i = policy chosen - policy rejected
    else results[j]!.gradRejected -= beta * slope; // right_j = rho_r of pair j
  });
  return results;
}

/** The DPO loss -log sigma(beta * (rho_c - rho_r)) in float64: the yardstick of DPO-relative invariants. */
export function dpoLoss(rhoChosen: number, rhoRejected: number, beta: number): number {
  return softplus(-beta * (rhoChosen - rhoRejected));
}
