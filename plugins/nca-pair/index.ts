/**
 * NCA (pairwise) — Noise Contrastive Alignment: optimizes absolute implicit rewards, not only
 * their difference, so the chosen likelihood is not driven down together with the rejected one.
 *
 *   r_c = beta * rho_c,  r_r = beta * rho_r
 *   loss = -log sigma(r_c) - 0.5 * log sigma(-r_c) - 0.5 * log sigma(-r_r)
 *
 * Paper: Chen et al., "Noise Contrastive Alignment of Language Models with Explicit Rewards",
 * arXiv:2402.05369. Matches TRL's `loss_type="nca_pair"`.
 */
import { tf, f64, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface NcaPairParams {
  beta: number;
}

const ncaPair: PreferenceLoss<NcaPairParams> = {
  name: 'nca-pair',
  aliases: ['nca_pair'],
  description: 'Noise Contrastive Alignment (pairwise): logistic losses on the absolute implicit rewards.',
  formula: 'r = beta*rho; loss = -log sigma(r_c) - 0.5*log sigma(-r_c) - 0.5*log sigma(-r_r)',
  paper: { title: 'Noise Contrastive Alignment of Language Models with Explicit Rewards', url: 'https://arxiv.org/abs/2402.05369' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => 2 * Math.LN2 },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const [c, r] = [beta * rho.chosen, beta * rho.rejected];
    return {
      loss: f64.softplus(-c) + 0.5 * f64.softplus(c) + 0.5 * f64.softplus(r),
      gradChosen: beta * (-f64.sigmoid(-c) + 0.5 * f64.sigmoid(c)),
      gradRejected: 0.5 * beta * f64.sigmoid(r),
      ...f64.betaRewards(rho, beta),
    };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const rewards = betaRewards(rho, beta);
    const { chosenRewards: rc, rejectedRewards: rr } = rewards;
    const losses = tf.neg(
      tf.add(logSigmoid(rc), tf.mul(tf.add(logSigmoid(tf.neg(rc)), logSigmoid(tf.neg(rr))), 0.5)),
    ) as tf.Tensor1D;
    return { losses, ...rewards };
  },
};

export default ncaPair;
