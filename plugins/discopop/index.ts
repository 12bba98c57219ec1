/**
 * DiscoPOP — the Log-Ratio Modulated Loss discovered by LLM-driven objective search: a blend of
 * the logistic (DPO) loss and the exponential loss, mixed by a sigmoid of the margin.
 *
 *   z = beta * (rho_c - rho_r),  m = sigma(z / tau)
 *   loss = (1 - m) * (-log sigma(z)) + m * exp(-z)
 *
 * Computed as sigma(-z/tau) * softplus(-z) + exp(-z - softplus(-z/tau)), the same function
 * written so that exp(-z) never overflows for a very negative margin (where m underflows to 0 and
 * the direct form gives inf * 0 = NaN).
 *
 * Paper: Chris Lu et al., "Discovering Preference Optimization Algorithms with and for Large
 * Language Models", arXiv:2406.08414 (Eq. 5). Matches TRL's `loss_type="discopop"` (tau =
 * `discopop_tau`, default 0.05).
 */
import { tf, f64, betaMargin, betaParam, betaRewards, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface DiscopopParams {
  beta: number;
  tau: number;
}

const discopop: PreferenceLoss<DiscopopParams> = {
  name: 'discopop',
  aliases: [],
  description: 'DiscoPOP: logistic and exponential losses blended by sigma(margin / tau).',
  formula: 'z = beta*(rho_c - rho_r); m = sigma(z/tau); loss = (1-m)*(-log sigma(z)) + m*exp(-z)',
  paper: { title: 'Discovering Preference Optimization Algorithms with and for Large Language Models', url: 'https://arxiv.org/abs/2406.08414' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      tau: { type: 'number', exclusiveMinimum: 0, default: 0.05, description: 'Temperature of the blend between the logistic and exponential losses.' },
    },
  },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => (Math.LN2 + 1) / 2 },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta, tau }) {
    const rho = f64.logRatios(pair);
    const z = beta * (rho.chosen - rho.rejected);
    const s = z / tau;
    const mixLogistic = f64.sigmoid(-s); // 1 - sigma(z / tau)
    const expTerm = Math.exp(-z - f64.softplus(-s)); // e^-z * sigma(z / tau)
    const slope = (-f64.sigmoid(s) * mixLogistic * f64.softplus(-z)) / tau - mixLogistic * f64.sigmoid(-z) + expTerm * (-1 + mixLogistic / tau);
    return { loss: mixLogistic * f64.softplus(-z) + expTerm, gradChosen: beta * slope, gradRejected: -beta * slope, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, tau }) {
    const rho = logRatios(inputs);
    const z = betaMargin(rho, beta);
    const scaled = tf.div(z, tau);
    const logistic = tf.mul(tf.sigmoid(tf.neg(scaled)), tf.softplus(tf.neg(z)));
    const exponential = tf.exp(tf.sub(tf.neg(z), tf.softplus(tf.neg(scaled))));
    return { losses: tf.add(logistic, exponential) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default discopop;
