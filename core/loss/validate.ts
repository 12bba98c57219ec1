/** Checks that an object handed in as a loss plugin fulfils the PreferenceLoss contract. */
import type { PreferenceLoss } from './contract.ts';
import { paramsSchemaProblem } from './params.ts';

/** A loss name: kebab-case (`minor-dpo`). */
const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
/** An alias may also use underscores, so TRL's `loss_type` names (`exo_pair`, `sppo_hard`) can select a loss. */
export const ALIAS_PATTERN = /^[a-z][a-z0-9_-]*$/;

/** Every way `candidate` falls short of the contract; empty when it is a valid loss. */
export function contractProblems(candidate: unknown): string[] {
  if (typeof candidate !== 'object' || candidate === null) return ['is not an object'];
  const loss = candidate as Partial<PreferenceLoss>;
  const problems: string[] = [];
  if (typeof loss.name !== 'string' || !NAME_PATTERN.test(loss.name)) {
    problems.push(`'name' must be a kebab-case string (got ${JSON.stringify(loss.name)})`);
  }
  if (loss.aliases !== undefined && (!Array.isArray(loss.aliases) || !loss.aliases.every((a) => typeof a === 'string' && ALIAS_PATTERN.test(a)))) {
    problems.push("'aliases' must be a list of names of lowercase letters, digits, '-' and '_' (e.g. TRL's 'exo_pair')");
  }
  for (const field of ['description', 'formula'] as const) {
    if (typeof loss[field] !== 'string' || loss[field] === '') problems.push(`'${field}' must be a non-empty string`);
  }
  if (typeof loss.paper !== 'object' || typeof loss.paper?.title !== 'string' || typeof loss.paper?.url !== 'string') {
    problems.push("'paper' must be { title, url }");
  }
  if (typeof loss.requiresReference !== 'boolean') problems.push("'requiresReference' must be a boolean");
  if (typeof loss.compute !== 'function') problems.push("'compute' must be a function (inputs, params) => { losses, chosenRewards, rejectedRewards }");
  const schema = loss.paramsSchema;
  if (typeof schema !== 'object' || schema === null || schema.type !== 'object' || typeof schema.properties !== 'object') {
    problems.push("'paramsSchema' must be a JSON Schema with type 'object' and 'properties'");
  } else {
    const problem = paramsSchemaProblem(loss as PreferenceLoss);
    if (problem) problems.push(`'paramsSchema' is not a valid JSON Schema: ${problem}`);
  }
  if (loss.invariants !== undefined && !Array.isArray(loss.invariants)) problems.push("'invariants' must be a list");
  return problems;
}
