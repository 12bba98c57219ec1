/**
 * The PreferenceLoss contract: what every loss plugin is.
 *
 * A loss sees per-pair sequence log-probs of shape [B] (summed over completion tokens), never
 * token tensors, and returns per-pair losses and rewards as tfjs tensors that tfjs autograd can
 * differentiate. Everything else about a loss is declarative metadata, in the style of an ESLint
 * rule's `meta`: a name, aliases, a JSON Schema for its params, its input domain, a float64
 * reference formula, and the properties it promises (checked by the property-test kit in
 * `core/testing`).
 */
import type * as tf from '@tensorflow/tfjs';
import type { Invariant } from './invariants.ts';

/**
 * Per-pair inputs of a loss. Every tensor has shape [B]. For a reference-free loss
 * (`requiresReference: false`) `refChosen` and `refRejected` are absent, wherever the loss is called.
 */
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
  /**
   * Extra metrics of the loss (e.g. ORPO's `nll_loss` and `log_odds_ratio`, as TRL logs them):
   * per-pair tensors of shape [B]; the trainer logs each one's batch mean under its name.
   */
  metrics?: Record<string, tf.Tensor1D>;
}

/** One pair as plain numbers: what a reference formula, a declared property and the kit see. */
export interface PairValues {
  policyChosen: number;
  policyRejected: number;
  /** Absent for reference-free losses. */
  refChosen?: number;
  /** Absent for reference-free losses. */
  refRejected?: number;
  chosenLength: number;
  rejectedLength: number;
}

/**
 * What a float64 reference formula gives for one pair: the loss, and optionally the rewards and
 * the analytic gradient of the loss with respect to the policy log-probs. Where the gradient is
 * absent the kit differentiates the reference itself (float64 central differences).
 */
export interface ReferenceValues {
  loss: number;
  chosenReward?: number;
  rejectedReward?: number;
  /** d loss / d policyChosen (for a batch reference: d sum(losses) / d policyChosen of this pair). */
  gradChosen?: number;
  /** d loss / d policyRejected (likewise). */
  gradRejected?: number;
}

/** A float64 formula of one pair's loss, on plain numbers. */
export type PairReference<P> = (pair: PairValues, params: P) => number | ReferenceValues;

/** A float64 formula of a whole batch (batch-coupled losses): one entry per pair, in order. */
export type BatchReference<P> = (pairs: PairValues[], params: P) => Array<number | ReferenceValues>;

/**
 * The inputs a loss is defined on. The kit draws every case, and probes every finite difference,
 * inside it. Defaults: log-probs in [-1e4, 0], lengths integers in [1, 4096].
 */
export interface InputDomain {
  /**
   * Summed log-probs (policy and reference) lie in [min, max]; with `maxExclusive` strictly below
   * `max` (e.g. a loss with log(1 - p) is undefined at log-prob 0).
   */
  logp?: { min?: number; max?: number; maxExclusive?: boolean };
  /** Completion lengths: integers in [min, max]. */
  length?: { min?: number; max?: number };
}

/** One pair's loss, rewards and policy gradients as the loss computes them (float32). */
export interface PairEvaluation {
  loss: number;
  chosenReward: number;
  rejectedReward: number;
  gradChosen: number;
  gradRejected: number;
}

/**
 * A property the loss itself defines, checked by the kit on generated pairs inside the loss's
 * domain: `check` gets a pair, a function that evaluates the loss on any pair, and the params,
 * and throws (or returns false) when the property does not hold.
 */
export interface LossProperty<P = LossParams> {
  /** States the property; the kit uses it as the test name ("the loss grows with the length gap"). */
  name: string;
  /** The property holds only for params where this returns true (default: always). */
  when?: (params: P) => boolean;
  check(pair: PairValues, evaluate: (pair: PairValues) => PairEvaluation, params: P): boolean | void;
}

/** The generic properties the kit checks for every loss, by id (see `notApplicable`). */
export const GENERIC_PROPERTY_IDS = [
  'finite',
  'finite-differences',
  'per-pair-independence',
  'batch-mean',
  'lengths-ignored',
  'reference-formula',
] as const;
export type GenericPropertyId = (typeof GENERIC_PROPERTY_IDS)[number];

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

/** `P` is the loss's own params interface (a plain interface; no index signature needed). */
export interface PreferenceLoss<P = LossParams> {
  /** Unique kebab-case name used in configs and on the command line. */
  name: string;
  /** Other names that select this loss, e.g. TRL's `loss_type` (`sigmoid` for `dpo`). */
  aliases?: string[];
  /** One line: what the loss does. */
  description: string;
  /** The formula in plain text, as shown by `prefopt losses` and the loss catalogue. */
  formula: string;
  paper: PaperReference;
  /** JSON Schema of the params; every param has a default (or is required); unknown keys are rejected. */
  paramsSchema: ParamsSchema;
  /** Whether the loss needs reference log-probs (false: reference-free, e.g. SimPO). */
  requiresReference: boolean;
  /**
   * True when the loss reads `chosenLength` / `rejectedLength` (under any of its params, e.g. IPO
   * with lengthNormalize). `prefopt loss` then requires lengths; the kit checks that a loss
   * without it ignores them.
   */
  usesLengths?: boolean;
  /**
   * True when a pair's loss depends on the other pairs of the batch (e.g. batch-sorted losses).
   * Such a loss is exempt from the kit's per-pair-independence and batch-mean properties, and
   * declares its formula as `batchReference`.
   */
  batchCoupled?: boolean;
  /** The inputs the loss is defined on (default: log-probs in [-1e4, 0], lengths in [1, 4096]). */
  domain?: InputDomain;
  /** The loss's float64 formula for one pair; the kit compares `compute` with it. */
  reference?: PairReference<P>;
  /** The float64 formula of a whole batch, for batch-coupled losses (instead of `reference`). */
  batchReference?: BatchReference<P>;
  /** The invariants this loss promises, from the kit's catalogue of kinds; the kit checks each one. */
  invariants?: Invariant<P>[];
  /** Properties of the loss's own; the kit checks each one. */
  properties?: LossProperty<P>[];
  /** Generic kit properties that do not apply to this loss, each with the reason (shown by the kit). */
  notApplicable?: Partial<Record<GenericPropertyId, string>>;
  /** Per-pair losses and rewards. Called inside `tf.tidy`; must be differentiable. */
  compute(inputs: PairLogps, params: P): PairLossOutput;
}
