/** The gradient of a loss's summed per-pair losses with respect to the policy log-probs. */
import { tf } from './tf.ts';
import type { PairLogps, PreferenceLoss } from './contract.ts';
import { callLoss, PluginError } from './call.ts';
import { UserError } from '../errors.ts';

/**
 * d sum(losses) / d policyChosen and d / d policyRejected, each of shape [B]. A loss that ignores
 * one of them (SFT ignores the rejected answer; MinorDPO's below the reference) gets a zero
 * gradient there rather than tfjs's "cannot compute gradient" error; an op without a gradient is
 * an error naming the loss. Works inside an outer gradient tape (the trainer's): the inputs need
 * not be leaves. Call inside tf.tidy.
 */
export function policyGradients(loss: PreferenceLoss<any>, inputs: PairLogps, params: object): [tf.Tensor1D, tf.Tensor1D] {
  const xs = [inputs.policyChosen, inputs.policyRejected];
  let grads: Array<tf.Tensor | null | undefined>;
  try {
    grads = tf.engine().gradients(() => tf.sum(callLoss(loss, inputs, params).losses), xs, undefined, true).grads;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new PluginError(`loss '${loss.name}' cannot be differentiated: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  return [(grads[0] ?? tf.zerosLike(xs[0]!)) as tf.Tensor1D, (grads[1] ?? tf.zerosLike(xs[1]!)) as tf.Tensor1D];
}
