/**
 * Declarative invariants a loss can promise. The loss states them as data; the property-test kit
 * (`core/testing`) knows how to check each kind with fast-check. Params-dependent values are
 * functions of the loss's validated params.
 */
import type { LossParams } from './contract.ts';

export type Invariant<P = LossParams> = InvariantSpec<P> & {
  /** The invariant holds only for params where this returns true (default: always). */
  when?: (params: P) => boolean;
};

type InvariantSpec<P> =
  /** Adding one constant to a policy log-prob and its reference leaves loss and gradient unchanged. */
  | { kind: 'rho-shift-invariant' }
  /** With policy = reference (rho = 0) the loss equals `value(params)`, e.g. ln 2 for DPO. */
  | { kind: 'value-at-zero-rho'; value: (params: P) => number }
  /** Raising the policy chosen log-prob never raises the loss. */
  | { kind: 'non-increasing-in-chosen' }
  /** Raising the policy rejected log-prob never lowers the loss. */
  | { kind: 'non-decreasing-in-rejected' }
  /**
   * MinorDPO: whenever the policy rejected log-prob is below the reference's (rho_r < 0), the loss
   * and its gradient do not depend on the rejected log-prob at all (gradient exactly 0).
   */
  | { kind: 'rejected-free-below-reference' }
  /** The loss equals DPO (same beta) wherever rho_r >= 0. */
  | { kind: 'equals-dpo-when-rejected-at-or-above-reference' }
  /** The loss equals DPO (same beta) wherever rho_c >= 0. */
  | { kind: 'equals-dpo-when-chosen-at-or-above-reference' }
  /** The loss is never below DPO's (same beta). */
  | { kind: 'never-below-dpo' }
  /**
   * As a function of the margin h = rho_c - rho_r (one-token completions), the loss is minimal
   * at h = `at(params)` with zero gradient there (IPO: 1/(2 beta)).
   */
  | { kind: 'minimal-at-margin'; at: (params: P) => number }
  /** Once the margin h = rho_c - rho_r reaches `margin(params)`, loss and gradient are 0 (hinge). */
  | { kind: 'zero-beyond-margin'; margin: (params: P) => number }
  /** rewards = beta * (policy - reference) for chosen and rejected. */
  | { kind: 'rewards-are-beta-rho' }
  /**
   * The loss sees each answer only through its per-token log-prob (log-prob / length): scaling a
   * side's log-probs and its length by the same whole number k leaves the loss unchanged.
   */
  | { kind: 'per-token-normalized' };

export type InvariantKind = InvariantSpec<LossParams>['kind'];
