/**
 * Float64 reference formulas of every built-in loss, written from the papers and TRL's
 * definitions independently of the tfjs plugins: per-pair loss, rewards and the analytic gradient
 * of the loss with respect to the policy chosen and rejected log-probs. Params are resolved (all
 * defaults present). The batch-sorted AOT losses are functions of the whole batch.
 */
import { logSigmoid, sigmoid, smoothedLogistic, softplus, stableArgsort } from './math64.ts';

export interface PairInput {
  policyChosen: number;
  policyRejected: number;
  refChosen: number;
  refRejected: number;
  chosenLength: number;
  rejectedLength: number;
}

export interface PairResult {
  loss: number;
  chosenReward: number;
  rejectedReward: number;
  gradChosen: number;
  gradRejected: number;
}

type Params = Record<string, any>;
export type ReferenceFormula = (pairs: PairInput[], params: Params) => PairResult[];

interface Ratios {
  rc: number; // rho_c = policy chosen - reference chosen
  rr: number; // rho_r
  p: PairInput;
}

/** A per-pair formula: loss and gradients from rho; rewards default to beta * rho. */
function perPair(fn: (r: Ratios, params: Params) => { loss: number; gc: number; gr: number; cr?: number; rj?: number }): ReferenceFormula {
  return (pairs, params) =>
    pairs.map((p) => {
      const r = { rc: p.policyChosen - p.refChosen, rr: p.policyRejected - p.refRejected, p };
      const out = fn(r, params);
      return {
        loss: out.loss,
        chosenReward: out.cr ?? params.beta * r.rc,
        rejectedReward: out.rj ?? params.beta * r.rr,
        gradChosen: out.gc,
        gradRejected: out.gr,
      };
    });
}

/** A loss f(z) of z = beta * (rho_c - rho_r) with derivative f'(z). */
function ofMargin(f: (z: number, params: Params) => { value: number; slope: number }): ReferenceFormula {
  return perPair(({ rc, rr }, params) => {
    const { value, slope } = f(params.beta * (rc - rr), params);
    return { loss: value, gc: params.beta * slope, gr: -params.beta * slope };
  });
}

/** AOT family: the k-th smallest of `left` against the k-th smallest of `right`. */
function sortedPairs(
  pairs: PairInput[],
  params: Params,
  left: (p: PairInput) => number,
  right: (p: PairInput) => number,
  paired: boolean,
): PairResult[] {
  const l = pairs.map(left);
  const r = pairs.map(right);
  const lo = stableArgsort(l);
  const ro = stableArgsort(r);
  const results = pairs.map((p) => ({
    loss: 0,
    chosenReward: params.beta * (p.policyChosen - p.refChosen),
    rejectedReward: params.beta * (p.policyRejected - p.refRejected),
    gradChosen: 0,
    gradRejected: 0,
  }));
  lo.forEach((i, k) => {
    const j = ro[k]!;
    const { value, slope } = smoothedLogistic(params.beta * (l[i]! - r[j]!), params.labelSmoothing);
    results[k]!.loss = value;
    const g = params.beta * slope;
    results[i]!.gradChosen += g; // d left_i / d policyChosen_i = 1
    if (paired) results[i]!.gradRejected -= g; // left = policy chosen - policy rejected
    else results[j]!.gradRejected -= g; // right = rho_r
  });
  return results;
}

export const REFERENCE: Record<string, ReferenceFormula> = {
  dpo: ofMargin((z, { labelSmoothing }) => smoothedLogistic(z, labelSmoothing)),

  'minor-dpo': perPair(({ rc, rr }, { beta }) => {
    const active = rr >= 0;
    const z = beta * (rc - (active ? rr : 0));
    const s = sigmoid(-z);
    return { loss: softplus(-z), gc: -beta * s, gr: active ? beta * s : 0 };
  }),

  ipo: perPair(({ rc, rr, p }, { beta, lengthNormalize }) => {
    const lc = lengthNormalize ? p.chosenLength : 1;
    const lr = lengthNormalize ? p.rejectedLength : 1;
    const d = rc / lc - rr / lr - 1 / (2 * beta);
    return { loss: d * d, gc: (2 * d) / lc, gr: (-2 * d) / lr };
  }),

  hinge: perPair(({ rc, rr }, { beta }) => {
    const m = 1 - beta * (rc - rr);
    return m > 0 ? { loss: m, gc: -beta, gr: beta } : { loss: 0, gc: 0, gr: 0 };
  }),

  robust: ofMargin((z, { labelSmoothing: e }) => ({
    value: ((1 - e) * softplus(-z) - e * softplus(z)) / (1 - 2 * e),
    slope: (-(1 - e) * sigmoid(-z) - e * sigmoid(z)) / (1 - 2 * e),
  })),

  'exo-pair': ofMargin((z, { labelSmoothing: e }) => {
    const q = sigmoid(z);
    const value = q * (logSigmoid(z) - Math.log1p(-e)) + sigmoid(-z) * (logSigmoid(-z) - Math.log(e));
    // d/dz = q (1 - q) (z - log((1 - e) / e)): KL(q || [1-e, e]) is minimal where q = 1 - e.
    return { value, slope: q * sigmoid(-z) * (z - Math.log((1 - e) / e)) };
  }),

  'nca-pair': perPair(({ rc, rr }, { beta }) => {
    const [c, r] = [beta * rc, beta * rr];
    return {
      loss: softplus(-c) + 0.5 * softplus(c) + 0.5 * softplus(r),
      gc: beta * (-sigmoid(-c) + 0.5 * sigmoid(c)),
      gr: 0.5 * beta * sigmoid(r),
    };
  }),

  'bco-pair': perPair(({ rc, rr }, { beta }) => ({
    loss: softplus(-beta * rc) + softplus(beta * rr),
    gc: -beta * sigmoid(-beta * rc),
    gr: beta * sigmoid(beta * rr),
  })),

  'sppo-hard': perPair(({ rc, rr }, { beta }) => {
    const t = 1 / (2 * beta);
    return { loss: (rc - t) ** 2 + (rr + t) ** 2, gc: 2 * (rc - t), gr: 2 * (rr + t) };
  }),

  aot: (pairs, params) =>
    sortedPairs(pairs, params, (p) => p.policyChosen - p.policyRejected, (p) => p.refChosen - p.refRejected, true),

  'aot-unpaired': (pairs, params) =>
    sortedPairs(pairs, params, (p) => p.policyChosen - p.refChosen, (p) => p.policyRejected - p.refRejected, false),

  'apo-zero': perPair(({ rc, rr }, { beta }) => {
    const [c, r] = [beta * rc, beta * rr];
    return { loss: sigmoid(-c) + sigmoid(r), gc: -beta * sigmoid(c) * sigmoid(-c), gr: beta * sigmoid(r) * sigmoid(-r) };
  }),

  'apo-down': perPair(({ rc, rr }, { beta }) => {
    const [c, z] = [beta * rc, beta * (rc - rr)];
    const dz = sigmoid(z) * sigmoid(-z);
    return { loss: sigmoid(c) + 1 - sigmoid(z), gc: beta * (sigmoid(c) * sigmoid(-c) - dz), gr: beta * dz };
  }),

  discopop: ofMargin((z, { tau }) => {
    const s = z / tau;
    const mixLogistic = sigmoid(-s); // 1 - sigma(z / tau)
    const expTerm = Math.exp(-z - softplus(-s)); // e^-z * sigma(z / tau)
    return {
      value: mixLogistic * softplus(-z) + expTerm,
      slope: (-sigmoid(s) * mixLogistic * softplus(-z)) / tau - mixLogistic * sigmoid(-z) + expTerm * (-1 + mixLogistic / tau),
    };
  }),

  'sigmoid-norm': perPair(({ rc, rr, p }, { beta }) => {
    const z = beta * (rc / p.chosenLength - rr / p.rejectedLength);
    const s = sigmoid(-z);
    return { loss: softplus(-z), gc: (-beta * s) / p.chosenLength, gr: (beta * s) / p.rejectedLength };
  }),

  simpo: perPair(({ p }, { beta, gamma, labelSmoothing }) => {
    const [ac, ar] = [p.policyChosen / p.chosenLength, p.policyRejected / p.rejectedLength];
    const { value, slope } = smoothedLogistic(beta * (ac - ar) - gamma, labelSmoothing);
    return { loss: value, gc: (beta * slope) / p.chosenLength, gr: (-beta * slope) / p.rejectedLength, cr: beta * ac, rj: beta * ar };
  }),

  dpop: perPair(({ rc, rr }, { beta, lambda }) => {
    const below = rc < 0;
    const z = beta * (rc - rr - lambda * (below ? -rc : 0));
    const s = sigmoid(-z);
    return { loss: softplus(-z), gc: -beta * (1 + (below ? lambda : 0)) * s, gr: beta * s };
  }),

  'cal-dpo': perPair(({ rc, rr }, { beta }) => {
    const t = 1 / (2 * beta);
    const s = sigmoid(-(rc - rr));
    return { loss: softplus(-(rc - rr)) + 0.5 * ((rc - t) ** 2 + (rr + t) ** 2), gc: -s + (rc - t), gr: s + (rr + t) };
  }),

  sft: perPair(({ p }) => ({ loss: -p.policyChosen / p.chosenLength, gc: -1 / p.chosenLength, gr: 0, cr: 0, rj: 0 })),
};
