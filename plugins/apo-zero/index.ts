/**
 * APO-zero — Anchored Preference Optimization, variant for chosen answers better than the
 * model's own: raise the chosen likelihood and lower the rejected one, each anchored at the
 * reference.
 *
 *   loss = (1 - sigma(beta * rho_c)) + sigma(beta * rho_r)
 *
 * (1 - sigma(x) is computed as sigma(-x), which keeps its precision when sigma(x) nears 1.)
 *
 * Paper: D'Oosterlinck et al., "Anchored Preference Optimization and Contrastive Revisions:
 * Addressing Underspecification in Alignment", arXiv:2408.06266 (Eq. 7). Matches TRL's
 * `loss_type="apo_zero"`.
 */
import { tf, f64, betaParam, betaRewards, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface ApoZeroParams {
  beta: number;
}

const apoZero: PreferenceLoss<ApoZeroParams> = {
  name: 'apo-zero',
  aliases: ['apo_zero'],
  description: 'Anchored Preference Optimization (zero): push the chosen reward up and the rejected reward down.',
  formula: 'loss = 1 - sigma(beta*rho_c) + sigma(beta*rho_r)',
  paper: {
    title: 'Anchored Preference Optimization and Contrastive Revisions: Addressing Underspecification in Alignment',
    url: 'https://arxiv.org/abs/2408.06266',
  },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => 1 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const [c, r] = [beta * rho.chosen, beta * rho.rejected];
    return {
      loss: f64.sigmoid(-c) + f64.sigmoid(r),
      gradChosen: -beta * f64.sigmoid(c) * f64.sigmoid(-c),
      gradRejected: beta * f64.sigmoid(r) * f64.sigmoid(-r),
      ...f64.betaRewards(rho, beta),
    };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const rewards = betaRewards(rho, beta);
    const losses = tf.add(tf.sigmoid(tf.neg(rewards.chosenRewards)), tf.sigmoid(rewards.rejectedRewards)) as tf.Tensor1D;
    return { losses, ...rewards };
  },
};

export default apoZero;
