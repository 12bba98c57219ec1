/**
 * R-DPO — length-regularized DPO, written as a third-party plugin would be: only prefopt's public
 * API (core/index.ts, what `import ... from 'prefopt'` gives), its own float64 reference, its own
 * property. The spec checks that it passes the kit and that a copy with one sign flipped fails it.
 *
 *   r = beta * rho - alpha * L              (the implicit reward, penalized by the answer's length)
 *   z = beta * (rho_c - rho_r) - alpha * (L_c - L_r)
 *   loss = -log sigma(z)
 *
 * Paper: Park et al., "Disentangling Length from Quality in Direct Preference Optimization",
 * arXiv:2403.19159.
 */
import { betaParam, betaRewards, f64, logRatios, logSigmoid, tf, type PreferenceLoss } from '../../../core/index.ts';

export interface RdpoParams {
  beta: number;
  alpha: number;
}

const rdpo: PreferenceLoss<RdpoParams> = {
  name: 'r-dpo',
  description: 'Length-regularized DPO: the DPO margin minus alpha times the length difference.',
  formula: 'z = beta*(rho_c - rho_r) - alpha*(L_c - L_r); loss = -log sigma(z)',
  paper: { title: 'Disentangling Length from Quality in Direct Preference Optimization', url: 'https://arxiv.org/abs/2403.19159' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      alpha: { type: 'number', minimum: 0, default: 0.01, description: 'Length penalty per token of the implicit reward.' },
    },
  },
  requiresReference: true,
  usesLengths: true,
  domain: { length: { max: 512 } },
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  properties: [
    {
      name: 'a longer chosen answer never lowers the loss (the length penalty)',
      check: (pair, evaluate) => evaluate({ ...pair, chosenLength: pair.chosenLength + 1 }).loss >= evaluate(pair).loss * (1 - 1e-6),
    },
  ],
  reference(pair, { beta, alpha }) {
    const rho = f64.logRatios(pair);
    const z = beta * (rho.chosen - rho.rejected) - alpha * (pair.chosenLength - pair.rejectedLength);
    return { loss: f64.softplus(-z), ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, alpha }) {
    const rho = logRatios(inputs);
    const lengthGap = tf.mul(tf.sub(inputs.chosenLength, inputs.rejectedLength), alpha);
    const z = tf.sub(tf.mul(tf.sub(rho.chosen, rho.rejected), beta), lengthGap);
    return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default rdpo;
