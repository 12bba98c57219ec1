/**
 * Length-normalized DPO — DPO on per-token log-ratios: each sequence log-ratio is divided by its
 * completion length before the margin is taken, so long answers do not dominate.
 *
 *   z = beta * (rho_c / L_c - rho_r / L_r)
 *   loss = -log sigma(z)
 *
 * Rewards stay beta * rho (summed log-ratios), as TRL logs them for every loss type.
 *
 * Paper: the length normalization of Meng et al., "SimPO: Simple Preference Optimization with a
 * Reference-Free Reward", arXiv:2405.14734, applied to DPO's log-ratios (the "LN-DPO" baseline
 * there). Matches TRL's `loss_type="sigmoid_norm"`.
 */
import { tf, f64, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface SigmoidNormParams {
  beta: number;
}

const sigmoidNorm: PreferenceLoss<SigmoidNormParams> = {
  name: 'sigmoid-norm',
  aliases: ['sigmoid_norm'],
  description: 'Length-normalized DPO: logistic loss on the margin of per-token log-ratios.',
  formula: 'z = beta*(rho_c/L_c - rho_r/L_r); loss = -log sigma(z)',
  paper: { title: 'SimPO: Simple Preference Optimization with a Reference-Free Reward', url: 'https://arxiv.org/abs/2405.14734' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  usesLengths: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
    { kind: 'per-token-normalized' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const z = beta * (rho.chosen / pair.chosenLength - rho.rejected / pair.rejectedLength);
    const s = f64.sigmoid(-z);
    return { loss: f64.softplus(-z), gradChosen: (-beta * s) / pair.chosenLength, gradRejected: (beta * s) / pair.rejectedLength, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const h = tf.sub(tf.div(rho.chosen, inputs.chosenLength), tf.div(rho.rejected, inputs.rejectedLength));
    return { losses: tf.neg(logSigmoid(tf.mul(h, beta))) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default sigmoidNorm;
