/** Float64 building blocks of the reference formulas, each stable over the whole real line. */

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

/** Indices of `values` in stable ascending order (ties keep index order). */
export function stableArgsort(values: number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b);
}
