/**
 * BCO (pairwise) — Binary Classifier Optimization on paired data: a binary classifier whose logit
 * is the implicit reward, chosen answers labelled 1 and rejected ones 0.
 *
 *   loss = -log sigma(beta * rho_c - delta) - log sigma(-(beta * rho_r - delta)),  delta = 0
 *
 * The paper (and older TRL) shifts both rewards by delta, a running mean of the rewards across
 * training steps. That state lives outside a per-batch loss, and TRL's current DPOTrainer drops it
 * too: here delta = 0, so a pair's loss depends on that pair alone.
 *
 * Paper: Jung et al., "Binary Classifier Optimization for Large Language Model Alignment",
 * arXiv:2404.04656. Matches TRL's current `loss_type="bco_pair"`.
 */
import { tf, f64, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface BcoPairParams {
  beta: number;
}

const bcoPair: PreferenceLoss<BcoPairParams> = {
  name: 'bco-pair',
  aliases: ['bco_pair'],
  description: 'Binary Classifier Optimization (pairwise): chosen reward classified positive, rejected negative (no running-mean shift).',
  formula: 'r = beta*rho; loss = -log sigma(r_c) - log sigma(-r_r)   (running-mean shift delta = 0)',
  paper: { title: 'Binary Classifier Optimization for Large Language Model Alignment', url: 'https://arxiv.org/abs/2404.04656' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => 2 * Math.LN2 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const [c, r] = [beta * rho.chosen, beta * rho.rejected];
    return { loss: f64.softplus(-c) + f64.softplus(r), gradChosen: -beta * f64.sigmoid(-c), gradRejected: beta * f64.sigmoid(r), ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const rewards = betaRewards(rho, beta);
    const losses = tf.neg(tf.add(logSigmoid(rewards.chosenRewards), logSigmoid(tf.neg(rewards.rejectedRewards)))) as tf.Tensor1D;
    return { losses, ...rewards };
  },
};

export default bcoPair;
