/** Evaluating a loss on generated pairs, for the kit's properties. */
import { tf } from '../loss/tf.ts';
import type { LossParams, PreferenceLoss } from '../loss/contract.ts';
import { computeLoss, type LossEvaluation } from '../loss/columns.ts';
import type { Pair } from './arbitraries.ts';

/** Per-pair losses, rewards and policy gradients of `pairs` as one batch. */
export function evaluatePairs(loss: PreferenceLoss<any>, params: LossParams, pairs: Pair[]): LossEvaluation {
  const column = (key: keyof Pair) => pairs.map((p) => p[key]);
  return computeLoss(loss, params, {
    policyChosen: column('policyChosen'),
    policyRejected: column('policyRejected'),
    ...(loss.requiresReference ? { refChosen: column('refChosen'), refRejected: column('refRejected') } : {}),
    chosenLength: column('chosenLength'),
    rejectedLength: column('rejectedLength'),
  });
}

/** The batch loss (mean of per-pair losses) of `pairs`. */
export function batchLoss(loss: PreferenceLoss<any>, params: LossParams, pairs: Pair[]): number {
  const { losses } = evaluatePairs(loss, params, pairs);
  return Array.from(losses).reduce((a, b) => a + b, 0) / losses.length;
}

/** Single-pair evaluation: loss, and gradients with respect to policy chosen / rejected. */
export function evaluatePair(loss: PreferenceLoss<any>, params: LossParams, pair: Pair) {
  const result = evaluatePairs(loss, params, [pair]);
  return {
    loss: result.losses[0]!,
    chosenReward: result.chosenRewards[0]!,
    rejectedReward: result.rejectedRewards[0]!,
    gradChosen: result.gradPolicyChosen[0]!,
    gradRejected: result.gradPolicyRejected[0]!,
  };
}

/** Number of live tensors (to check the kit's own evaluations do not leak). */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
