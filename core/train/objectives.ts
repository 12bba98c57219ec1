/**
 * What one microbatch contributes to a step: the scalar to differentiate and the metrics to log.
 * `preferenceObjective` runs chosen and rejected through one forward pass and hands per-pair
 * log-probs to the selected loss (plus the metrics hooks registered in pair-metrics.ts add);
 * `sftObjective` is the mean NLL of the completion tokens.
 */
import * as tf from '@tensorflow/tfjs';
import { callLoss, preferenceMetrics, throwOnNaNOutput, type LossParams, type PairLogps, type PreferenceLoss } from '../loss/index.ts';
import type { MixtureLoss } from '../loss/mixture.ts';
import type { PreferenceBatch, TokenBatch } from '../data/batch.ts';
import { sequenceLogprobs } from '../model/logprobs.ts';
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

/** Per-pair log-probs of a preference batch: rows 0..B-1 chosen, B..2B-1 rejected. Call inside a tidy. */
export function pairLogps(model: CausalLM, batch: PreferenceBatch, reference?: ReferenceLogps): PairLogps {
  const { sums, counts } = sequenceLogprobs(model, batch.tokens);
  const [policyChosen, policyRejected] = tf.split(sums, 2) as [tf.Tensor1D, tf.Tensor1D];
  const [chosenLength, rejectedLength] = tf.split(counts, 2) as [tf.Tensor1D, tf.Tensor1D];
  return {
    policyChosen,
    policyRejected,
    chosenLength,
    rejectedLength,
    ...(reference ? { refChosen: tf.tensor1d(reference.chosen), refRejected: tf.tensor1d(reference.rejected) } : {}),
  };
}

function isMixture(loss: PreferenceLoss<any>): loss is MixtureLoss {
  return typeof (loss as MixtureLoss).termLosses === 'function';
}

/** The preference objective of a microbatch. Call inside a tidy / gradient function. */
export function preferenceObjective(
  model: CausalLM,
  batch: PreferenceBatch,
  loss: PreferenceLoss<any>,
  params: LossParams,
  reference?: ReferenceLogps,
): Objective {
  const inputs = pairLogps(model, batch, reference);
  const output = callLoss(loss, inputs, params);
  const metrics: Record<string, number> = { ...preferenceMetrics(inputs, output), ...extraPairMetrics({ inputs, loss, params }) };
  if (Number.isNaN(metrics.loss)) throwOnNaNOutput(loss, output); // names the loss and the pair
  if (isMixture(loss)) Object.assign(metrics, loss.termLosses(inputs));
  return { loss: tf.mean(output.losses) as tf.Scalar, metrics };
}

/** The SFT objective: mean negative log-likelihood of the completion tokens of the microbatch. */
export function sftObjective(model: CausalLM, batch: TokenBatch): Objective {
  const { sums, counts } = sequenceLogprobs(model, batch);
  const loss = tf.div(tf.neg(tf.sum(sums)), tf.maximum(tf.sum(counts), 1)) as tf.Scalar;
  return { loss, metrics: { loss: loss.dataSync()[0]! } };
}
