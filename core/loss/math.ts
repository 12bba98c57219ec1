/** Small numerically careful building blocks shared by the loss plugins. */
import { tf } from './tf.ts';
import type { PairLogps, PairLogpsWithReference } from './contract.ts';
import { UserError } from '../errors.ts';

/**
 * log sigma(x), written as -softplus(-x): stable for large |x|, and its gradient is correct on
 * every backend (tf.logSigmoid's gradient is wrong on intermediate tensors in tfjs 4.22).
 */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}

/** max(0, x) whose gradient at exactly x = 0 is 1, as torch's clamp(min=0) (tf.relu gives 0). */
export function clampMinZero(x: tf.Tensor): tf.Tensor {
  return tf.where(tf.greaterEqual(x, 0), x, tf.zerosLike(x));
}

/** rho_c and rho_r: policy minus reference log-probs, the quantities DPO-family losses act on. */
export function logRatios(inputs: PairLogps): { chosen: tf.Tensor1D; rejected: tf.Tensor1D } {
  const { refChosen, refRejected } = requireReference(inputs);
  return {
    chosen: tf.sub(inputs.policyChosen, refChosen),
    rejected: tf.sub(inputs.policyRejected, refRejected),
  };
}

/** The inputs, checked to carry reference log-probs. */
export function requireReference(inputs: PairLogps): PairLogpsWithReference {
  if (!inputs.refChosen || !inputs.refRejected) {
    throw new UserError('this loss needs reference log-probs (refChosen, refRejected)');
  }
  return inputs as PairLogpsWithReference;
}

/** beta * (rho_c - rho_r): the scaled log-ratio margin most pairwise losses act on. */
export function betaMargin(rho: { chosen: tf.Tensor1D; rejected: tf.Tensor1D }, beta: number): tf.Tensor1D {
  return tf.mul(tf.sub(rho.chosen, rho.rejected), beta);
}

/** TRL's implicit rewards: beta * rho for chosen and rejected. */
export function betaRewards(
  rho: { chosen: tf.Tensor1D; rejected: tf.Tensor1D },
  beta: number,
): { chosenRewards: tf.Tensor1D; rejectedRewards: tf.Tensor1D } {
  return { chosenRewards: tf.mul(rho.chosen, beta), rejectedRewards: tf.mul(rho.rejected, beta) };
}

/** The beta param every DPO-family loss takes (TRL's default 0.1). */
export const betaParam = {
  type: 'number',
  exclusiveMinimum: 0,
  default: 0.1,
  description: 'Inverse temperature: strength of the implicit KL penalty to the reference.',
} as const;

/**
 * The logistic preference loss with label smoothing (conservative DPO, Mitchell 2023):
 * -(1-eps) log sigma(z) - eps log sigma(-z); eps = 0 is the plain logistic loss -log sigma(z).
 */
export function conservativeLogistic(z: tf.Tensor, eps: number): tf.Tensor1D {
  return tf.sub(tf.mul(logSigmoid(z), -(1 - eps)), tf.mul(logSigmoid(tf.neg(z)), eps)) as tf.Tensor1D;
}

/** The label-smoothing param of the conservative logistic losses (TRL's label_smoothing). */
export const labelSmoothingParam = {
  type: 'number',
  minimum: 0,
  maximum: 0.5,
  default: 0,
  description: 'Probability eps that a preference label is flipped (conservative form); 0 is the plain logistic loss.',
} as const;
