/**
 * Deliberately wrong losses, each breaking one property the kit must catch. Each is a copy of a
 * correct loss with one defect, and declares the invariants the correct loss would keep.
 */
import * as tf from '@tensorflow/tfjs';
import { betaParam, betaRewards, clampMinZero, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';
import dpo from '../../plugins/dpo/index.ts';
import minorDpo from '../../plugins/minor-dpo/index.ts';
import ipo from '../../plugins/ipo/index.ts';
import hinge from '../../plugins/hinge/index.ts';

type Params = { beta: number };
const betaOnly = { type: 'object', properties: { beta: betaParam } } as const;

function variant(base: PreferenceLoss<any>, name: string, compute: PreferenceLoss<Params>['compute']): PreferenceLoss<Params> {
  return { ...base, name, paramsSchema: betaOnly, compute };
}

/** log(sigmoid(z)) computed naively: -Infinity once sigmoid underflows at extreme margins. */
export const naiveLogSigmoidDpo = variant(dpo, 'naive-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, rho.rejected), beta);
  return { losses: tf.neg(tf.log(tf.sigmoid(z))) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** Subtracts the batch mean margin: pairs are no longer independent. */
export const batchCenteredDpo = variant(dpo, 'batch-centered-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const margin = tf.sub(rho.chosen, rho.rejected);
  const z = tf.mul(tf.sub(margin, tf.mean(margin)), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** A custom gradient twice too large: autograd disagrees with finite differences. */
export const doubledGradientDpo = variant(dpo, 'doubled-gradient-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, rho.rejected), beta);
  const loss = tf.customGrad((...args) => {
    const x = args[0] as tf.Tensor;
    return {
      value: tf.softplus(tf.neg(x)),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.mul(tf.neg(tf.sigmoid(tf.neg(x))), 2)),
    };
  });
  return { losses: loss(z) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** Acts on policy log-probs without the reference, yet declares rho-shift invariance. */
export const referenceIgnoringDpo = variant(dpo, 'reference-ignoring-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, tf.mul(inputs.policyRejected, 1.001)), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** A constant offset: DPO's value at rho = 0 is no longer ln 2. */
export const offsetDpo = variant(dpo, 'offset-dpo', (inputs, params) => {
  const out = dpo.compute(inputs, { ...params, labelSmoothing: 0 });
  return { ...out, losses: tf.add(out.losses, 0.01) as tf.Tensor1D };
});

/** MinorDPO with a leak: a small rejected term remains below the reference. */
export const leakyMinorDpo = variant(minorDpo, 'leaky-minor-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const rejected = tf.add(clampMinZero(rho.rejected), tf.mul(tf.minimum(rho.rejected, 0), 0.01));
  const z = tf.mul(tf.sub(rho.chosen, rejected), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** MinorDPO written with tf.relu: its rejected gradient vanishes at exactly rho_r = 0, unlike DPO's. */
export const reluMinorDpo = variant(minorDpo, 'relu-minor-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, tf.relu(rho.rejected)), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** MinorDPO that over-penalizes above the reference (2 * rho_r): it differs from DPO there. */
export const overPenalizingMinorDpo = variant(minorDpo, 'over-penalizing-minor-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, tf.mul(clampMinZero(rho.rejected), 2)), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** A MinorDPO-like loss that rewards going below the reference: it falls below DPO. */
export const underDpo = variant(minorDpo, 'under-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, tf.mul(rho.rejected, 2)), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** IPO regressing to 1/beta instead of 1/(2 beta). */
export const wrongTargetIpo: PreferenceLoss<any> = {
  ...ipo,
  name: 'wrong-target-ipo',
  compute: (inputs, params) => {
    const rho = logRatios(inputs);
    const h = tf.sub(rho.chosen, rho.rejected);
    return { losses: tf.square(tf.sub(h, 1 / params.beta)) as tf.Tensor1D, ...betaRewards(rho, params.beta) };
  },
};

/** A hinge with margin 2/beta: it is not zero once the margin reaches 1/beta. */
export const wideHinge = variant(hinge, 'wide-hinge', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const losses = tf.relu(tf.sub(2, tf.mul(tf.sub(rho.chosen, rho.rejected), beta))) as tf.Tensor1D;
  return { losses, ...betaRewards(rho, beta) };
});

/** Squared margin: not monotone in the chosen or rejected log-prob, though it declares so. */
export const squaredMarginDpo = variant(dpo, 'squared-margin-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.sub(rho.chosen, rho.rejected), beta);
  return { losses: tf.add(tf.square(z), Math.LN2) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** Rewards scaled by 2 beta instead of beta. */
export const wrongRewardDpo = variant(dpo, 'wrong-reward-dpo', (inputs, params) => {
  const out = dpo.compute(inputs, { ...params, labelSmoothing: 0 });
  return { ...out, chosenRewards: tf.mul(out.chosenRewards, 2) as tf.Tensor1D };
});

/** Divides the margin by the chosen length without declaring usesLengths. */
export const undeclaredLengthDpo = variant(dpo, 'undeclared-length-dpo', (inputs, { beta }) => {
  const rho = logRatios(inputs);
  const z = tf.mul(tf.div(tf.sub(rho.chosen, rho.rejected), inputs.chosenLength), beta);
  return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
});

/** A param without a default. */
export const noDefaultDpo: PreferenceLoss<any> = {
  ...dpo,
  name: 'no-default-dpo',
  paramsSchema: { type: 'object', properties: { beta: { type: 'number', exclusiveMinimum: 0 } } },
};
