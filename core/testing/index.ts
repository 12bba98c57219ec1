/**
 * The property-test kit: a conformance harness for loss plugins, like ESLint's RuleTester.
 *
 *   import { testLoss } from 'prefopt/testing';
 *   testLoss(myLoss);                                  // inside a node:test file
 *   testLoss(myLoss, { params: [{}, { beta: 0.5 }] }); // several param sets
 *
 * One call registers a node:test suite with one test per property: the generic invariants every
 * loss must keep (finite over extreme inputs, per-pair independence, batch mean, gradients vs
 * finite differences, params schema) and each invariant the loss declares. Each property runs
 * over `numRuns` (default 200) fast-check cases. `lossProperties` returns the same properties as
 * plain functions, for programs that run them outside node:test.
 */
import { before, describe, test } from 'node:test';
import type { LossParams, PreferenceLoss } from '../loss/contract.ts';
import { resolveParams } from '../loss/params.ts';
import { contractProblems } from '../loss/validate.ts';
import { selectBackend } from '../runtime/backend.ts';
import { genericProperties } from './generic-properties.ts';
import { INVARIANT_CHECKERS } from './invariant-checks.ts';
import type { PropertyContext } from './property.ts';

export interface KitOptions {
  /** Param sets to check the loss under (each validated, defaults filled). Default: [{}]. */
  params?: LossParams[];
  /** fast-check cases per property. Default 200. */
  numRuns?: number;
  /** fast-check seed, to replay a failure. */
  seed?: number;
  /** tfjs backend to run on (testLoss only). Default 'cpu', the parity reference. */
  backend?: string;
}

/** A property bound to a loss and params: `run()` throws when it does not hold. */
export interface BoundProperty {
  name: string;
  run(): void;
}

/** Every property the kit checks for `loss`, one list per param set, as runnable functions. */
export function lossProperties(loss: PreferenceLoss<any>, options: KitOptions = {}): BoundProperty[] {
  const problems = contractProblems(loss);
  const contract = {
    name: 'fulfils the PreferenceLoss contract (plugin object and params schema)',
    run: () => {
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  };
  if (problems.length > 0) return [contract];
  const paramSets = options.params ?? [{}];
  const runOptions = { numRuns: options.numRuns ?? 200, includeErrorInReport: true, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  const checks = paramSets.flatMap((given) => {
    const params = resolveParams(loss, given);
    const ctx: PropertyContext = { loss, params, runOptions };
    const suffix = paramSets.length > 1 ? ` [${JSON.stringify(given)}]` : '';
    const generic = genericProperties(loss).map((property) => ({ name: property.name + suffix, run: () => property.check(ctx) }));
    const declared = (loss.invariants ?? []).filter((invariant) => invariant.when?.(params) ?? true).map((invariant) => {
      const checker = INVARIANT_CHECKERS[invariant.kind] as (typeof INVARIANT_CHECKERS)[typeof invariant.kind] | undefined;
      if (!checker) {
        return { name: `declared invariant '${String(invariant.kind)}'${suffix}`, run: () => { throw new Error(`unknown invariant kind '${String(invariant.kind)}'`); } };
      }
      return {
        name: `${(checker.name as (i: typeof invariant, p: LossParams) => string)(invariant, params)}${suffix}`,
        run: () => (checker.check as (c: PropertyContext, i: typeof invariant) => void)(ctx, invariant),
      };
    });
    return [...generic, ...declared];
  });
  return [contract, ...checks];
}

/** Registers a node:test suite that checks `loss` against every kit property. */
export function testLoss(loss: PreferenceLoss<any>, options: KitOptions = {}): void {
  describe(`${loss?.name ?? '(unnamed loss)'} conformance`, () => {
    before(async () => {
      await selectBackend(options.backend ?? 'cpu');
    });
    for (const property of lossProperties(loss, options)) test(property.name, () => property.run());
  });
}

export type { KitProperty, PropertyContext } from './property.ts';
export { isClose, assertClose, FLOAT32_TOLERANCE, softplus64, dpoLoss64 } from './numeric.ts';
export { pair, dyadicPair, moderatePair, batchOf, type Pair } from './arbitraries.ts';
