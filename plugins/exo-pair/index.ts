/**
 * EXO (pairwise) — Efficient Exact Optimization: the reverse KL from the policy's implicit
 * preference distribution to the label distribution [1 - eps, eps] over {chosen, rejected}.
 *
 *   z = beta * (rho_c - rho_r),  q_w = sigma(z),  q_l = sigma(-z)
 *   loss = q_w * (log q_w - log(1 - eps)) + q_l * (log q_l - log eps)
 *
 * eps must be > 0 (log eps). The loss is minimal (zero) at z = log((1 - eps) / eps), i.e. at the
 * margin rho_c - rho_r = log((1 - eps) / eps) / beta.
 *
 * Paper: Ji et al., "Towards Efficient Exact Optimization of Language Model Alignment",
 * arXiv:2402.00856 (Eq. 16, K = 2). Matches TRL's `loss_type="exo_pair"` (eps = `label_smoothing`,
 * TRL recommends 1e-3).
 */
import { tf, f64, betaMargin, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface ExoPairParams {
  beta: number;
  labelSmoothing: number;
}

const exoPair: PreferenceLoss<ExoPairParams> = {
  name: 'exo-pair',
  aliases: ['exo_pair'],
  description: 'EXO: reverse KL from the implicit preference distribution to the smoothed labels [1-eps, eps].',
  formula: 'z = beta*(rho_c - rho_r); loss = sigma(z)*(log sigma(z) - log(1-eps)) + sigma(-z)*(log sigma(-z) - log eps)',
  paper: { title: 'Towards Efficient Exact Optimization of Language Model Alignment', url: 'https://arxiv.org/abs/2402.00856' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      labelSmoothing: {
        type: 'number',
        exclusiveMinimum: 0,
        exclusiveMaximum: 0.5,
        default: 1e-3,
        description: 'Label-distribution smoothing eps in (0, 0.5): the target probability of the rejected answer.',
      },
    },
  },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    {
      kind: 'value-at-zero-rho',
      value: (p) => -Math.LN2 - 0.5 * Math.log((p.labelSmoothing as number) * (1 - (p.labelSmoothing as number))),
    },
    {
      kind: 'minimal-at-margin',
      at: (p) => Math.log((1 - (p.labelSmoothing as number)) / (p.labelSmoothing as number)) / (p.beta as number),
    },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta, labelSmoothing: e }) {
    const rho = f64.logRatios(pair);
    const z = beta * (rho.chosen - rho.rejected);
    const q = f64.sigmoid(z);
    const loss = q * (f64.logSigmoid(z) - Math.log1p(-e)) + f64.sigmoid(-z) * (f64.logSigmoid(-z) - Math.log(e));
    // d/dz = q (1 - q) (z - log((1 - e) / e)): KL(q || [1-e, e]) is minimal where q = 1 - e.
    const slope = q * f64.sigmoid(-z) * (z - Math.log((1 - e) / e));
    return { loss, gradChosen: beta * slope, gradRejected: -beta * slope, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, labelSmoothing: eps }) {
    const rho = logRatios(inputs);
    const z = betaMargin(rho, beta);
    const chosenTerm = tf.mul(tf.sigmoid(z), tf.sub(logSigmoid(z), Math.log1p(-eps)));
    const rejectedTerm = tf.mul(tf.sigmoid(tf.neg(z)), tf.sub(logSigmoid(tf.neg(z)), Math.log(eps)));
    return { losses: tf.add(chosenTerm, rejectedTerm) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default exoPair;
