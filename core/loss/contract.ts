/**
 * The PreferenceLoss contract: what every loss plugin is.
 *
 * A loss sees per-pair sequence log-probs of shape [B] (summed over completion tokens), never
 * token tensors, and returns per-pair losses and rewards as tfjs tensors that tfjs autograd can
 * differentiate. Everything else about a loss is declarative metadata, in the style of an ESLint
 * rule's `meta`: a name, aliases, a JSON Schema for its params, and the invariants it promises
 * (checked by the property-test kit in `core/testing`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Invariant } from './invariants.ts';

/** Per-pair inputs of a loss. Every tensor has shape [B]. */
export interface PairLogps {
  /** log pi(y_w | x), summed over the chosen completion's tokens. */
  policyChosen: tf.Tensor1D;
  /** log pi(y_l | x), summed over the rejected completion's tokens. */
  policyRejected: tf.Tensor1D;
  /** log pi_ref(y_w | x); absent for reference-free losses. */
  refChosen?: tf.Tensor1D;
  /** log pi_ref(y_l | x); absent for reference-free losses. */
  refRejected?: tf.Tensor1D;
  /** Number of completion tokens of the chosen answer (>= 1). */
  chosenLength: tf.Tensor1D;
  /** Number of completion tokens of the rejected answer (>= 1). */
  rejectedLength: tf.Tensor1D;
}

/** Inputs of a loss that requires a reference model: the reference log-probs are present. */
export type PairLogpsWithReference = PairLogps & Required<Pick<PairLogps, 'refChosen' | 'refRejected'>>;

/** What a loss returns. Every tensor has shape [B]. */
export interface PairLossOutput {
  /** Per-pair loss; the batch loss is their mean. */
  losses: tf.Tensor1D;
  /** Implicit reward of the chosen answer (TRL: beta * (policy - reference)). */
  chosenRewards: tf.Tensor1D;
  /** Implicit reward of the rejected answer. */
  rejectedRewards: tf.Tensor1D;
}

/** A JSON Schema object (draft-07 as ajv reads it) describing a loss's params. */
export type ParamsSchema = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties?: false;
  [key: string]: unknown;
};

export interface PaperReference {
  title: string;
  /** arXiv id or URL. */
  url: string;
}

/** Params a loss receives: validated against its schema, defaults filled in. */
export type LossParams = Record<string, unknown>;

export interface PreferenceLoss<P extends LossParams = LossParams> {
  /** Unique kebab-case name used in configs and on the command line. */
  name: string;
  /** Other names that select this loss, e.g. TRL's `loss_type` (`sigmoid` for `dpo`). */
  aliases?: string[];
  /** One line: what the loss does. */
  description: string;
  /** The formula in plain text, as shown by `prefopt losses` and the loss catalogue. */
  formula: string;
  paper: PaperReference;
  /** JSON Schema of the params; unknown keys are rejected, defaults filled in. */
  paramsSchema: ParamsSchema;
  /** Whether the loss needs reference log-probs (false: reference-free, e.g. SimPO). */
  requiresReference: boolean;
  /**
   * True when a pair's loss depends on the other pairs of the batch (e.g. batch-sorted losses).
   * Such a loss is exempt from the kit's per-pair-independence and batch-mean properties.
   */
  batchCoupled?: boolean;
  /** The invariants this loss promises; the property-test kit checks each one. */
  invariants?: Invariant[];
  /** Per-pair losses and rewards. Called inside `tf.tidy`; must be differentiable. */
  compute(inputs: PairLogps, params: P): PairLossOutput;
}
