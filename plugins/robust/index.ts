/**
 * Robust DPO (rDPO) — an unbiased DPO loss under preference labels flipped with probability eps.
 *
 *   z = beta * (rho_c - rho_r)
 *   loss = (-(1 - eps) * log sigma(z) + eps * log sigma(-z)) / (1 - 2 eps)
 *
 * Unlike conservative DPO (dpo with labelSmoothing), the flipped term is subtracted and the sum
 * rescaled, which makes the loss an unbiased estimate of the clean DPO loss. eps = 0 is DPO.
 *
 * Paper: Chowdhury et al., "Provably Robust DPO: Aligning Language Models with Noisy Feedback",
 * arXiv:2403.00409. Matches TRL's `loss_type="robust"` (eps = `label_smoothing`).
 */
import { tf, f64, betaMargin, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface RobustParams {
  beta: number;
  labelSmoothing: number;
}

const robust: PreferenceLoss<RobustParams> = {
  name: 'robust',
  aliases: [],
  description: 'Robust DPO (rDPO): unbiased DPO loss when a fraction eps of the preference labels is flipped.',
  formula: 'z = beta*(rho_c - rho_r); loss = (-(1-eps)*log sigma(z) + eps*log sigma(-z)) / (1 - 2*eps)',
  paper: { title: 'Provably Robust DPO: Aligning Language Models with Noisy Feedback', url: 'https://arxiv.org/abs/2403.00409' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      labelSmoothing: {
        type: 'number',
        minimum: 0,
        exclusiveMaximum: 0.5,
        default: 0,
        description: 'Probability eps that a preference label is flipped, in [0, 0.5); 0 is plain DPO.',
      },
    },
  },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta, labelSmoothing: e }) {
    const rho = f64.logRatios(pair);
    const z = beta * (rho.chosen - rho.rejected);
    const slope = (-(1 - e) * f64.sigmoid(-z) - e * f64.sigmoid(z)) / (1 - 2 * e);
    const loss = ((1 - e) * f64.softplus(-z) - e * f64.softplus(z)) / (1 - 2 * e);
    return { loss, gradChosen: beta * slope, gradRejected: -beta * slope, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, labelSmoothing: eps }) {
    const rho = logRatios(inputs);
    const z = betaMargin(rho, beta);
    const clean = tf.mul(logSigmoid(z), -(1 - eps));
    const flipped = tf.mul(logSigmoid(tf.neg(z)), eps);
    const losses = tf.div(tf.add(clean, flipped), 1 - 2 * eps) as tf.Tensor1D;
    return { losses, ...betaRewards(rho, beta) };
  },
};

export default robust;
