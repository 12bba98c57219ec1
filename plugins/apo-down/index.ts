/**
 * APO-down — Anchored Preference Optimization, variant for chosen answers worse than the model's
 * own: lower the chosen likelihood, and the rejected one more.
 *
 *   loss = sigma(beta * rho_c) + (1 - sigma(beta * (rho_c - rho_r)))
 *
 * This is TRL's form. The paper's Eq. 8 is sigma(beta rho_c) - sigma(beta (rho_c - rho_r)); TRL
 * adds the constant 1 (so the loss lies in [0, 2] and equals 1 at rho = 0), which changes no
 * gradient. (1 - sigma(x) is computed as sigma(-x).)
 *
 * Paper: D'Oosterlinck et al., "Anchored Preference Optimization and Contrastive Revisions:
 * Addressing Underspecification in Alignment", arXiv:2408.06266 (Eq. 8). Matches TRL's
 * `loss_type="apo_down"`.
 */
import { tf, f64, betaMargin, betaParam, betaRewards, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface ApoDownParams {
  beta: number;
}

const apoDown: PreferenceLoss<ApoDownParams> = {
  name: 'apo-down',
  aliases: ['apo_down'],
  description: 'Anchored Preference Optimization (down): push both rewards down, the rejected one further.',
  formula: 'loss = sigma(beta*rho_c) + 1 - sigma(beta*(rho_c - rho_r))   (TRL: the paper\'s Eq. 8 plus 1)',
  paper: {
    title: 'Anchored Preference Optimization and Contrastive Revisions: Addressing Underspecification in Alignment',
    url: 'https://arxiv.org/abs/2408.06266',
  },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => 1 },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const [c, z] = [beta * rho.chosen, beta * (rho.chosen - rho.rejected)];
    const dz = f64.sigmoid(z) * f64.sigmoid(-z);
    return { loss: f64.sigmoid(c) + 1 - f64.sigmoid(z), gradChosen: beta * (f64.sigmoid(c) * f64.sigmoid(-c) - dz), gradRejected: beta * dz, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const rewards = betaRewards(rho, beta);
    // beta * (rho_c - rho_r), not the difference of the two rewards: each reward is rounded on its
    // own scale, so their difference loses precision when both are large and close.
    const margin = betaMargin(rho, beta);
    const losses = tf.add(tf.sigmoid(rewards.chosenRewards), tf.sigmoid(tf.neg(margin))) as tf.Tensor1D;
    return { losses, ...rewards };
  },
};

export default apoDown;
