/**
 * The property-test kit: a conformance harness for loss plugins, like ESLint's RuleTester.
 *
 *   import { testLoss } from 'prefopt/testing';
 *   testLoss(myLoss);                                  // inside a node:test file
 *   testLoss(myLoss, { params: [{}, { beta: 0.5 }] }); // several param sets
 *
 * One call registers a node:test suite. First the plugin object itself: it must fulfil the
 * PreferenceLoss contract (fields, params schema, every param with a default its schema accepts).
 * Then, once per backend (wasm and cpu by default), one test per property: the generic ones every
 * loss must keep (finite over its domain, gradients vs finite differences, per-pair independence,
 * batch mean, lengths ignored without usesLengths, the float64 reference formula) — those that do
 * not apply are listed as skipped with the reason — then each invariant the loss declares, then
 * each property it defines itself. Every case lies inside the loss's input domain. Each property
 * runs over `numRuns` (default 100) fast-check cases from a fixed seed (PREFOPT_KIT_SEED or
 * `seed` to change it, 'random' for a fresh one); a failure prints the seed and how to replay it.
 * `lossProperties` returns the same properties as plain functions, for other test runners.
 */
import { before, describe, test } from 'node:test';
import type { LossParams, PreferenceLoss } from '../loss/contract.ts';
import { resolveParams } from '../loss/params.ts';
import { contractProblems } from '../loss/validate.ts';
import { selectBackend, type BackendName } from '../runtime/backend.ts';
import { arbitraries, domainOf } from './arbitraries.ts';
import { genericProperties } from './generic-properties.ts';
import { checkLossProperty, INVARIANT_CHECKERS } from './invariant-checks.ts';
import type { PropertyContext } from './property.ts';
import { replayHint, resolveSeed, type SeedOption } from './seed.ts';

export interface KitOptions {
  /** Param sets to check the loss under (each validated, defaults filled). Default: [{}]. */
  params?: LossParams[];
  /** fast-check cases per property. Default 100. */
  numRuns?: number;
  /** fast-check seed: a number to replay a failure, or 'random'. Default: PREFOPT_KIT_SEED, else a fixed seed. */
  seed?: SeedOption;
  /** tfjs backends to run on (testLoss only), one suite each. Default ['wasm', 'cpu']. */
  backends?: BackendName[];
}

/** A property bound to a loss and params: `run()` throws when it does not hold. */
export interface BoundProperty {
  name: string;
  run(): void;
  /** Set when the property does not apply to this loss: the reason (run() then does nothing). */
  notApplicable?: string;
}

const CONTRACT = 'fulfils the PreferenceLoss contract (plugin object and params schema)';

/** The contract check: the plugin object and its params schema, before any case runs. */
export function contractProperty(loss: PreferenceLoss<any>): BoundProperty {
  const problems = contractProblems(loss);
  return {
    name: CONTRACT,
    run: () => {
      if (problems.length > 0) throw new Error(`${loss?.name ?? '(unnamed loss)'}: ${problems.join('; ')}`);
    },
  };
}

/** Adds the seed and how to replay it to a failure. */
function withSeed(seed: number, run: () => void): () => void {
  return () => {
    try {
      run();
    } catch (error) {
      const e = error as Error;
      e.message = `${e.message}\n${replayHint(seed)}`;
      throw e;
    }
  };
}

/**
 * The kit's properties for `loss` on the current backend, one list per param set, after the
 * contract check (alone when the contract fails).
 */
export function lossProperties(loss: PreferenceLoss<any>, options: KitOptions = {}): BoundProperty[] {
  const contract = contractProperty(loss);
  if (contractProblems(loss).length > 0) return [contract];
  const seed = resolveSeed(options.seed);
  const runOptions = { numRuns: options.numRuns ?? 100, seed, includeErrorInReport: true };
  const paramSets = options.params ?? [{}];
  const domain = domainOf(loss);
  const gen = arbitraries(domain);
  const checks = paramSets.flatMap((given) => {
    const params = resolveParams(loss, given);
    const ctx: PropertyContext = { loss, params, domain, gen, runOptions };
    const suffix = paramSets.length > 1 ? ` [${JSON.stringify(given)}]` : '';
    const bind = (name: string, run: () => void, notApplicable?: string): BoundProperty => ({
      name: name + suffix,
      run: notApplicable === undefined ? withSeed(seed, run) : () => {},
      ...(notApplicable === undefined ? {} : { notApplicable }),
    });
    const generic = genericProperties(loss).map((p) => bind(p.name, () => p.check(ctx), p.notApplicable));
    const declared = (loss.invariants ?? []).filter((invariant) => invariant.when?.(params) ?? true).map((invariant) => {
      const checker = INVARIANT_CHECKERS[invariant.kind] as (typeof INVARIANT_CHECKERS)[typeof invariant.kind] | undefined;
      if (!checker) {
        return bind(`declared invariant '${String(invariant.kind)}'`, () => {
          throw new Error(`unknown invariant kind '${String(invariant.kind)}'`);
        });
      }
      const name = (checker.name as (i: typeof invariant, p: LossParams) => string)(invariant, params);
      return bind(name, () => (checker.check as (c: PropertyContext, i: typeof invariant) => void)(ctx, invariant));
    });
    const own = (loss.properties ?? []).filter((property) => property.when?.(params) ?? true).map((property) => bind(property.name, () => checkLossProperty(ctx, property)));
    return [...generic, ...declared, ...own];
  });
  return [contract, ...checks];
}

/**
 * Registers a node:test suite that checks `loss`: the contract, then every kit property once per
 * backend (a nested suite per backend).
 */
export function testLoss(loss: PreferenceLoss<any>, options: KitOptions = {}): void {
  describe(`${loss?.name ?? '(unnamed loss)'} conformance`, () => {
    const [contract, ...properties] = lossProperties(loss, options);
    test(contract!.name, () => contract!.run());
    if (properties.length === 0) return;
    for (const backend of options.backends ?? ['wasm', 'cpu']) {
      describe(`on ${backend}`, () => {
        before(async () => {
          await selectBackend(backend);
        });
        for (const property of properties) {
          if (property.notApplicable !== undefined) test(property.name, { skip: `not applicable: ${property.notApplicable}` }, () => {});
          else test(property.name, () => property.run());
        }
      });
    }
  });
}

export type { KitProperty, PropertyContext } from './property.ts';
export { isClose, assertClose, FLOAT32_TOLERANCE } from './numeric.ts';
export { arbitraries, batchOf, resolveDomain, type Pair, type Domain } from './arbitraries.ts';
export { referenceOf, assertMatchesReference, type ReferenceResult } from './reference-check.ts';
export { DEFAULT_SEED, SEED_VARIABLE, resolveSeed } from './seed.ts';
