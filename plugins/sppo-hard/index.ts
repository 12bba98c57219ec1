/**
 * SPPO (hard labels) — Self-Play Preference Optimization with the winner's probability set to 1
 * and the loser's to 0: squared regression of each log-ratio to +-1/(2 beta).
 *
 *   loss = (rho_c - 1/(2 beta))^2 + (rho_r + 1/(2 beta))^2
 *
 * The paper estimates soft win probabilities with a preference model (PairRM) outside the
 * trainer; this is the hard-probability version TRL ships.
 *
 * Paper: Wu et al., "Self-Play Preference Optimization for Language Model Alignment",
 * arXiv:2405.00675 (Eq. 4.7). Matches TRL's `loss_type="sppo_hard"`.
 */
import { tf, f64, betaParam, betaRewards, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface SppoHardParams {
  beta: number;
}

const sppoHard: PreferenceLoss<SppoHardParams> = {
  name: 'sppo-hard',
  aliases: ['sppo_hard'],
  description: 'SPPO with hard win probabilities: regress rho_c to 1/(2 beta) and rho_r to -1/(2 beta).',
  formula: 'loss = (rho_c - 1/(2*beta))^2 + (rho_r + 1/(2*beta))^2',
  paper: { title: 'Self-Play Preference Optimization for Language Model Alignment', url: 'https://arxiv.org/abs/2405.00675' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: (p) => 0.5 / (p.beta as number) ** 2 },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const t = 1 / (2 * beta);
    return { loss: (rho.chosen - t) ** 2 + (rho.rejected + t) ** 2, gradChosen: 2 * (rho.chosen - t), gradRejected: 2 * (rho.rejected + t), ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const target = 0.5 / beta;
    const losses = tf.add(tf.square(tf.sub(rho.chosen, target)), tf.square(tf.add(rho.rejected, target))) as tf.Tensor1D;
    return { losses, ...betaRewards(rho, beta) };
  },
};

export default sppoHard;
