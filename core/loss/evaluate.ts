/**
 * Calling a loss safely and evaluating it on plain numbers: per-pair losses, rewards and the
 * gradient of each pair's loss with respect to the policy log-probs.
 */
import * as tf from '@tensorflow/tfjs';
import type { LossParams, PairLogps, PairLossOutput, PreferenceLoss } from './contract.ts';
import { UserError } from '../errors.ts';

/** A loss plugin misbehaved (threw, or returned tensors of the wrong shape). */
export class PluginError extends UserError {
  override name = 'PluginError';
}

/**
 * `loss.compute(inputs, params)`, with the plugin's own failures turned into errors naming the
 * plugin, and the output checked to hold three tensors of shape [B].
 */
export function callLoss(loss: PreferenceLoss<any>, inputs: PairLogps, params: LossParams): PairLossOutput {
  let output: PairLossOutput;
  try {
    output = loss.compute(inputs, params);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new PluginError(`loss '${loss.name}' threw: ${(error as Error).message}`);
  }
  const batch = inputs.policyChosen.shape[0];
  for (const key of ['losses', 'chosenRewards', 'rejectedRewards'] as const) {
    const tensor = output?.[key];
    if (!(tensor instanceof tf.Tensor) || tensor.rank !== 1 || tensor.shape[0] !== batch) {
      const got = tensor instanceof tf.Tensor ? `shape [${tensor.shape.join(', ')}]` : typeof tensor;
      throw new PluginError(`loss '${loss.name}' returned '${key}' with ${got}; expected a tensor of shape [${batch}]`);
    }
  }
  return output;
}

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

/** float32 tensors of the columns. Call inside tf.tidy. */
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
 * is each pair's own gradient.
 */
export function computeLoss(loss: PreferenceLoss<any>, params: LossParams, columns: PairColumns): LossEvaluation {
  return tf.tidy(() => {
    const inputs = pairTensors(columns);
    const output = callLoss(loss, inputs, params);
    const [gradChosen, gradRejected] = policyGradients(loss, inputs, params);
    const evaluation = {
      losses: output.losses.dataSync() as Float32Array,
      chosenRewards: output.chosenRewards.dataSync() as Float32Array,
      rejectedRewards: output.rejectedRewards.dataSync() as Float32Array,
      gradPolicyChosen: gradChosen!.dataSync() as Float32Array,
      gradPolicyRejected: gradRejected!.dataSync() as Float32Array,
    };
    throwOnNaN(loss, evaluation);
    return evaluation;
  });
}

/**
 * d sum(losses) / d policyChosen and d / d policyRejected. A loss that ignores one of them (e.g. an
 * SFT term ignores the rejected answer) gets a zero gradient there rather than tfjs's "cannot
 * compute gradient" error; an op without a gradient is an error naming the loss.
 */
function policyGradients(loss: PreferenceLoss<any>, inputs: PairLogps, params: LossParams): [tf.Tensor, tf.Tensor] {
  const xs = [inputs.policyChosen, inputs.policyRejected];
  let grads: Array<tf.Tensor | null>;
  try {
    grads = tf.engine().gradients(() => tf.sum(callLoss(loss, inputs, params).losses), xs, undefined, true).grads;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new PluginError(`loss '${loss.name}' cannot be differentiated: ${(error as Error).message.split('\n')[0]}`);
  }
  return [grads[0] ?? tf.zerosLike(xs[0]!), grads[1] ?? tf.zerosLike(xs[1]!)];
}

/** A NaN anywhere in a loss's output or gradients is the plugin's failure: an error naming the loss and the pair. */
function throwOnNaN(loss: PreferenceLoss<any>, evaluation: LossEvaluation): void {
  for (const [key, values] of Object.entries(evaluation) as Array<[string, Float32Array]>) {
    const pair = values.findIndex((value) => Number.isNaN(value));
    if (pair >= 0) throw new PluginError(`loss '${loss.name}' produced NaN in '${key}' for pair ${pair + 1}`);
  }
}
