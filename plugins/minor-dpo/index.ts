/**
 * MinorDPO — DPO with a minor reject penalty.
 *
 *   loss = -log sigma(beta * (rho_c - max(0, rho_r)))
 *
 * DPO keeps pushing a rejected answer down even once it is below the reference model; MinorDPO
 * stops penalizing it there: for rho_r < 0 the loss and its gradient do not depend on the rejected
 * log-prob at all. At exactly rho_r = 0 the rejected term is active (gradient equal to DPO's, as
 * torch's clamp(min=0) gives).
 *
 * Paper: Xie et al., "Minor DPO reject penalty to increase training robustness", arXiv:2408.09834.
 */
import { tf, f64, betaParam, betaRewards, clampMinZero, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface MinorDpoParams {
  beta: number;
}

const minorDpo: PreferenceLoss<MinorDpoParams> = {
  name: 'minor-dpo',
  aliases: [],
  description: 'DPO without penalty on a rejected answer once it is below the reference model.',
  formula: 'loss = -log sigma(beta*(rho_c - max(0, rho_r)))',
  paper: { title: 'Minor DPO reject penalty to increase training robustness', url: 'https://arxiv.org/abs/2408.09834' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rejected-free-below-reference' },
    { kind: 'equals-dpo-when-rejected-at-or-above-reference' },
    { kind: 'never-below-dpo' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const active = rho.rejected >= 0;
    const z = beta * (rho.chosen - (active ? rho.rejected : 0));
    const s = f64.sigmoid(-z);
    return { loss: f64.softplus(-z), gradChosen: -beta * s, gradRejected: active ? beta * s : 0, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const z = tf.mul(tf.sub(rho.chosen, clampMinZero(rho.rejected)), beta);
    return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default minorDpo;
