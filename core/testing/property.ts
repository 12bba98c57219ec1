/** What the kit checks: named properties of a loss under one set of params. */
import type { LossParams, PreferenceLoss } from '../loss/contract.ts';

export interface PropertyContext {
  loss: PreferenceLoss<any>;
  /** Resolved params (defaults filled). */
  params: LossParams;
  /** fast-check run options (numRuns, seed). */
  runOptions: { numRuns: number; seed?: number; includeErrorInReport?: boolean };
}

export interface KitProperty {
  /** States the property, e.g. "batch loss equals the mean of the single-pair losses". */
  name: string;
  /** Throws when the property does not hold. */
  check(ctx: PropertyContext): void;
}
