/**
 * tanh — a bounded preference loss, an example of a third-party prefopt plugin.
 *
 *   z = beta * (rho_c - rho_r)
 *   loss = 1 - tanh(z)
 *
 * Bounded in [0, 2] (a mislabelled pair with a huge negative margin costs at most 2, where DPO's
 * cost grows without bound), smooth, and equal to 1 at rho = 0. A member of the GPO family of
 * losses f(beta * margin) for a decreasing f.
 *
 * Paper: Tang et al., "Generalized Preference Optimization: A Unified Approach to Offline
 * Alignment", arXiv:2402.05749.
 *
 * The module default-exports one PreferenceLoss (a plain object: metadata, a float64 reference
 * formula, compute). It takes `tf` from prefopt, never its own @tensorflow/tfjs. Install
 * the package next to prefopt and select it with `--plugin prefopt-loss-tanh --loss tanh`, or
 * `plugins: ["prefopt-loss-tanh"]` and `loss: tanh` in a config.
 */
import { tf } from 'prefopt';

/** @type {import('prefopt').PreferenceLoss<{ beta: number }>} */
const tanhLoss = {
  name: 'tanh',
  aliases: [],
  description: 'Bounded preference loss 1 - tanh(beta * margin): robust to mislabelled pairs.',
  formula: 'z = beta*(rho_c - rho_r); loss = 1 - tanh(z)',
  paper: { title: 'Generalized Preference Optimization: A Unified Approach to Offline Alignment', url: 'https://arxiv.org/abs/2402.05749' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: { type: 'number', exclusiveMinimum: 0, default: 0.1, description: 'Scale of the log-ratio margin.' },
    },
  },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => 1 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'rewards-are-beta-rho' },
  ],
  // The float64 formula the kit compares compute() with (gradients: float64 differences of it).
  reference(pair, { beta }) {
    const rhoChosen = pair.policyChosen - pair.refChosen;
    const rhoRejected = pair.policyRejected - pair.refRejected;
    return { loss: 1 - Math.tanh(beta * (rhoChosen - rhoRejected)), chosenReward: beta * rhoChosen, rejectedReward: beta * rhoRejected };
  },
  compute(inputs, { beta }) {
    if (!inputs.refChosen || !inputs.refRejected) throw new Error('tanh needs reference log-probs');
    const rhoChosen = tf.sub(inputs.policyChosen, inputs.refChosen);
    const rhoRejected = tf.sub(inputs.policyRejected, inputs.refRejected);
    const z = tf.mul(tf.sub(rhoChosen, rhoRejected), beta);
    return {
      losses: tf.sub(1, tf.tanh(z)),
      chosenRewards: tf.mul(rhoChosen, beta),
      rejectedRewards: tf.mul(rhoRejected, beta),
    };
  },
};

export default tanhLoss;
