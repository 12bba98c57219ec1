/** What the kit checks: named properties of a loss under one set of params. */
import type { LossParams, PreferenceLoss } from '../loss/contract.ts';
import type { Arbitraries, Domain } from './arbitraries.ts';

export interface PropertyContext {
  loss: PreferenceLoss<any>;
  /** Resolved params (defaults filled). */
  params: LossParams;
  /** The loss's input domain, resolved, and the generators that stay inside it. */
  domain: Domain;
  gen: Arbitraries;
  /** fast-check run options (numRuns, seed). */
  runOptions: { numRuns: number; seed: number; includeErrorInReport?: boolean };
}

export interface KitProperty {
  /** States the property, e.g. "batch loss equals the mean of the single-pair losses". */
  name: string;
  /** Throws when the property does not hold. */
  check(ctx: PropertyContext): void;
  /** Set when the property does not apply to this loss: the reason, shown instead of running it. */
  notApplicable?: string;
}
