/**
 * Evaluating a loss on columns of plain numbers (one entry per pair): per-pair losses, rewards and
 * the gradient of each pair's loss with respect to the policy log-probs. `prefopt loss` and the
 * property-test kit use it.
 */
import { tf } from './tf.ts';
import type { PairLogps, PreferenceLoss } from './contract.ts';
import { callLoss, throwOnNaN } from './call.ts';
import { policyGradients } from './gradients.ts';

/** Per-pair inputs as plain numbers (one entry per pair). */
export interface PairColumns {
  policyChosen: ArrayLike<number>;
  policyRejected: ArrayLike<number>;
  refChosen?: ArrayLike<number>;
  refRejected?: ArrayLike<number>;
  chosenLength: ArrayLike<number>;
  rejectedLength: ArrayLike<number>;
}

export interface LossEvaluation {
  losses: Float32Array;
  chosenRewards: Float32Array;
  rejectedRewards: Float32Array;
  /** d loss_i / d policyChosen_i for each pair i (the gradient of the batch's summed losses). */
  gradPolicyChosen: Float32Array;
  /** d loss_i / d policyRejected_i. */
  gradPolicyRejected: Float32Array;
}

/** float32 tensors of the columns (reference columns only where given). Call inside tf.tidy. */
export function pairTensors(columns: PairColumns): PairLogps {
  const t = (values: ArrayLike<number>) => tf.tensor1d(Array.from(values), 'float32');
  return {
    policyChosen: t(columns.policyChosen),
    policyRejected: t(columns.policyRejected),
    ...(columns.refChosen ? { refChosen: t(columns.refChosen) } : {}),
    ...(columns.refRejected ? { refRejected: t(columns.refRejected) } : {}),
    chosenLength: t(columns.chosenLength),
    rejectedLength: t(columns.rejectedLength),
  };
}

/**
 * Evaluates a loss on plain numbers. `params` must already be resolved (see resolveParams).
 * Gradients are those of the sum of per-pair losses, which for a loss whose pairs are independent
 * is each pair's own gradient. A NaN anywhere is an error naming the loss and the pair.
 */
export function computeLoss(
  loss: PreferenceLoss<any>,
  params: object,
  columns: PairColumns,
  options: { pairName?: (index: number) => string } = {},
): LossEvaluation {
  return tf.tidy(() => {
    const inputs = pairTensors(columns);
    const output = callLoss(loss, inputs, params);
    const [gradChosen, gradRejected] = policyGradients(loss, inputs, params);
    const evaluation = {
      losses: output.losses.dataSync() as Float32Array,
      chosenRewards: output.chosenRewards.dataSync() as Float32Array,
      rejectedRewards: output.rejectedRewards.dataSync() as Float32Array,
      gradPolicyChosen: gradChosen.dataSync() as Float32Array,
      gradPolicyRejected: gradRejected.dataSync() as Float32Array,
    };
    throwOnNaN(loss, evaluation, options.pairName);
    return evaluation;
  });
}
