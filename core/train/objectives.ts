/**
 * What one microbatch contributes to a step: the scalar to differentiate and the metrics to log.
 * `preferenceObjective` runs chosen and rejected through one forward pass (one packed row per pair
 * when the batch has them, core/data/shared-prompt.ts) and hands per-pair
 * log-probs to the selected loss (plus the metrics hooks registered in pair-metrics.ts add);
 * `sftObjective` is the mean NLL of the completion tokens.
 */
import * as tf from '@tensorflow/tfjs';
import { callLoss, policyGradients, preferenceMetrics, throwOnNaNOutput, type LossParams, type PairLogps, type PreferenceLoss } from '../loss/index.ts';
import type { MixtureLoss } from '../loss/mixture.ts';
import type { PreferenceBatch, TokenBatch } from '../data/batch.ts';
import { preferenceLogprobs, sequenceLogprobs } from '../model/logprobs.ts';
import type { CausalLM } from '../model/llama.ts';
import { extraPairMetrics } from './pair-metrics.ts';

/** Reference log-probs of a batch's pairs (chosen and rejected, one entry per pair). */
export interface ReferenceLogps {
  chosen: Float32Array;
  rejected: Float32Array;
}

export interface Objective {
  /** The scalar loss of the microbatch (a tensor on the gradient tape). */
  loss: tf.Scalar;
  /** Metrics of the microbatch under TRL's names, as plain numbers. */
  metrics: Record<string, number>;
}

/**
 * Per-pair log-probs of a preference batch: rows 0..B-1 chosen, B..2B-1 rejected; and TRL's
 * mean_token_accuracy, the fraction of chosen completion tokens that are the model's argmax
 * prediction (as TRL's DPOTrainer computes it, over the chosen half). Call inside a tidy.
 */
export function pairLogps(model: CausalLM, batch: PreferenceBatch, reference?: ReferenceLogps): { inputs: PairLogps; meanTokenAccuracy: number } {
  const { sums, counts, correct } = preferenceLogprobs(model, batch, { accuracy: true });
  const [policyChosen, policyRejected] = tf.split(sums, 2) as [tf.Tensor1D, tf.Tensor1D];
  const [chosenLength, rejectedLength] = tf.split(counts, 2) as [tf.Tensor1D, tf.Tensor1D];
  const [chosenCorrect] = tf.split(correct!, 2) as [tf.Tensor1D, tf.Tensor1D];
  const inputs = {
    policyChosen,
    policyRejected,
    chosenLength,
    rejectedLength,
    ...(reference ? { refChosen: tf.tensor1d(reference.chosen), refRejected: tf.tensor1d(reference.rejected) } : {}),
  };
  return { inputs, meanTokenAccuracy: tokenAccuracy(chosenCorrect, chosenLength) };
}

/** sum(correct) / sum(counts), 0 when there are no completion tokens (as TRL). */
function tokenAccuracy(correct: tf.Tensor1D, counts: tf.Tensor1D): number {
  const [hits, total] = tf.tidy(() => tf.stack([tf.sum(correct), tf.sum(counts)]).dataSync());
  return total! > 0 ? hits! / total! : 0;
}

function isMixture(loss: PreferenceLoss<any>): loss is MixtureLoss {
  return typeof (loss as MixtureLoss).termLosses === 'function';
}

/**
 * The preference objective of a microbatch. Call inside a tidy / gradient function. `pairName`
 * names the pair at an index in errors (e.g. its dataset line); default 'pair N' of the microbatch.
 */
export function preferenceObjective(
  model: CausalLM,
  batch: PreferenceBatch,
  loss: PreferenceLoss<any>,
  params: LossParams,
  reference?: ReferenceLogps,
  pairName?: (index: number) => string,
): Objective {
  const { inputs, meanTokenAccuracy } = pairLogps(model, batch, reference);
  const output = callLoss(loss, inputs, params);
  const metrics: Record<string, number> = {
    ...preferenceMetrics(inputs, output),
    ...extraPairMetrics({ inputs, loss, params }),
    mean_token_accuracy: meanTokenAccuracy,
  };
  if (Number.isNaN(metrics.loss)) throwOnNaNOutput(loss, output, pairName); // names the loss and the pair
  if (isMixture(loss)) Object.assign(metrics, loss.termLosses(inputs));
  return { loss: tf.mean(output.losses) as tf.Scalar, metrics };
}

/** A pair of a microbatch on which the loss, not the model, is not finite, and what is not. */
export interface NonFinitePair {
  /** Index in the microbatch. */
  index: number;
  /** e.g. `loss=Infinity`, `d loss/d policy_chosen_logps=NaN`. */
  what: string;
}

/**
 * The pairs of a microbatch on which the loss gives a non-finite loss, or a non-finite gradient
 * with respect to the policy log-probs, while the log-probs the model gave it are finite: what a
 * diverged step names (the loss's own gradient, not the model's, e.g. sqrt at 0). Forward only.
 */
export function nonFiniteLossPairs(model: CausalLM, batch: PreferenceBatch, loss: PreferenceLoss<any>, params: LossParams, reference?: ReferenceLogps): NonFinitePair[] {
  const found: NonFinitePair[] = [];
  tf.tidy(() => {
    const { inputs } = pairLogps(model, batch, reference);
    const columns = {
      policy_chosen_logps: inputs.policyChosen.dataSync(),
      policy_rejected_logps: inputs.policyRejected.dataSync(),
    };
    const losses = callLoss(loss, inputs, params).losses.dataSync();
    const [gradChosen, gradRejected] = policyGradients(loss, inputs, params).map((g) => g.dataSync());
    for (let index = 0; index < losses.length; index++) {
      if (!Number.isFinite(columns.policy_chosen_logps[index]) || !Number.isFinite(columns.policy_rejected_logps[index])) continue; // the model's
      const bad = [
        ['loss', losses[index]!],
        ['d loss/d policy_chosen_logps', gradChosen![index]!],
        ['d loss/d policy_rejected_logps', gradRejected![index]!],
      ].filter(([, v]) => !Number.isFinite(v));
      if (bad.length > 0) found.push({ index, what: bad.map(([k, v]) => `${k}=${v}`).join(', ') });
    }
  });
  return found;
}

/**
 * The SFT objective: mean negative log-likelihood of the completion tokens of the microbatch, and
 * TRL's mean_token_accuracy over the same tokens.
 */
export function sftObjective(model: CausalLM, batch: TokenBatch): Objective {
  const { sums, counts, correct } = sequenceLogprobs(model, batch, { accuracy: true });
  const loss = tf.div(tf.neg(tf.sum(sums)), tf.maximum(tf.sum(counts), 1)) as tf.Scalar;
  return { loss, metrics: { loss: loss.dataSync()[0]!, mean_token_accuracy: tokenAccuracy(correct!, counts) } };
}
