/**
 * SimPO — Simple Preference Optimization: reference-free, with the length-averaged log-prob as
 * the implicit reward and a target reward margin gamma.
 *
 *   a_c = log pi(y_w|x) / L_c,  a_r = log pi(y_l|x) / L_r   (mean token log-probs)
 *   z = beta * (a_c - a_r) - gamma
 *   loss = -(1 - eps) * log sigma(z) - eps * log sigma(-z)
 *   rewards = beta * a_c, beta * a_r
 *
 * `gamma` is the margin in reward units, as TRL's CPOTrainer `simpo_gamma` (TRL subtracts
 * gamma / beta from the log-prob margin before scaling by beta: the same z). The SimPO authors'
 * own code takes `gamma_beta_ratio` = gamma / beta instead: gamma = beta * gamma_beta_ratio.
 * Defaults: beta 2.0 (the paper's range is 2 to 2.5), gamma 0.5 (TRL's default). SimPO's
 * optional SFT term is the `sft` loss in a mixture.
 *
 * Paper: Meng et al., "SimPO: Simple Preference Optimization with a Reference-Free Reward",
 * arXiv:2405.14734. Matches TRL's CPOTrainer `loss_type="simpo"` (with `cpo_alpha=0`).
 */
import { tf, f64, conservativeLogistic, labelSmoothingParam, type PreferenceLoss } from '../../core/loss/index.ts';

export interface SimpoParams {
  beta: number;
  gamma: number;
  labelSmoothing: number;
}

const simpo: PreferenceLoss<SimpoParams> = {
  name: 'simpo',
  aliases: [],
  description: 'SimPO: reference-free logistic loss on the margin of mean token log-probs, minus a target margin gamma.',
  formula: 'z = beta*(logp_c/L_c - logp_r/L_r) - gamma; loss = -(1-eps)*log sigma(z) - eps*log sigma(-z)',
  paper: { title: 'SimPO: Simple Preference Optimization with a Reference-Free Reward', url: 'https://arxiv.org/abs/2405.14734' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: { type: 'number', exclusiveMinimum: 0, default: 2, description: 'Scale of the length-averaged log-prob reward.' },
      gamma: { type: 'number', minimum: 0, default: 0.5, description: 'Target reward margin (reward units; TRL simpo_gamma).' },
      labelSmoothing: labelSmoothingParam,
    },
  },
  requiresReference: false,
  usesLengths: true,
  // With label smoothing the loss is minimal at a finite margin, so it is monotone only without.
  invariants: [
    { kind: 'non-increasing-in-chosen', when: (p) => !p.labelSmoothing },
    { kind: 'non-decreasing-in-rejected', when: (p) => !p.labelSmoothing },
    { kind: 'per-token-normalized' },
  ],
  reference(pair, { beta, gamma, labelSmoothing }) {
    const [ac, ar] = [pair.policyChosen / pair.chosenLength, pair.policyRejected / pair.rejectedLength];
    const { value, slope } = f64.smoothedLogistic(beta * (ac - ar) - gamma, labelSmoothing);
    return { loss: value, gradChosen: (beta * slope) / pair.chosenLength, gradRejected: (-beta * slope) / pair.rejectedLength, chosenReward: beta * ac, rejectedReward: beta * ar };
  },
  compute(inputs, { beta, gamma, labelSmoothing: eps }) {
    const chosenMean = tf.div(inputs.policyChosen, inputs.chosenLength);
    const rejectedMean = tf.div(inputs.policyRejected, inputs.rejectedLength);
    // beta * (a_c - a_r), not the difference of the rewards, which are rounded each on its own scale.
    const z = tf.sub(tf.mul(tf.sub(chosenMean, rejectedMean), beta), gamma);
    const chosenRewards = tf.mul(chosenMean, beta) as tf.Tensor1D;
    const rejectedRewards = tf.mul(rejectedMean, beta) as tf.Tensor1D;
    const losses = conservativeLogistic(z, eps);
    return { losses, chosenRewards, rejectedRewards };
  },
};

export default simpo;
