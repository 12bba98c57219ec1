/** Checks that an object handed in as a loss plugin fulfils the PreferenceLoss contract. */
import { GENERIC_PROPERTY_IDS, type PreferenceLoss } from './contract.ts';
import { paramDefaultProblems, paramsSchemaProblem } from './params.ts';

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
    else problems.push(...paramDefaultProblems(loss as PreferenceLoss));
  }
  for (const flag of ['usesLengths', 'batchCoupled'] as const) {
    if (loss[flag] !== undefined && typeof loss[flag] !== 'boolean') problems.push(`'${flag}' must be a boolean`);
  }
  problems.push(...metadataProblems(loss));
  return problems;
}

/** Problems of the optional kit metadata: reference formulas, domain, properties, notApplicable. */
function metadataProblems(loss: Partial<PreferenceLoss>): string[] {
  const problems: string[] = [];
  for (const field of ['reference', 'batchReference'] as const) {
    if (loss[field] !== undefined && typeof loss[field] !== 'function') problems.push(`'${field}' must be a function`);
  }
  if (loss.batchCoupled && loss.reference !== undefined) {
    problems.push("a batch-coupled loss declares its float64 formula as 'batchReference' (pairs, params) => [...], not 'reference'");
  }
  if (loss.reference !== undefined && loss.batchReference !== undefined) problems.push("declare 'reference' or 'batchReference', not both");
  const domain = loss.domain;
  if (domain !== undefined) {
    const number = (value: unknown) => value === undefined || (typeof value === 'number' && Number.isFinite(value));
    const logp = domain?.logp ?? {};
    const length = domain?.length ?? {};
    if (typeof domain !== 'object' || !number(logp.min) || !number(logp.max) || !number(length.min) || !number(length.max)) {
      problems.push("'domain' must be { logp?: { min?, max?, maxExclusive? }, length?: { min?, max? } } with finite numbers");
    } else if ((logp.min ?? -1e4) >= (logp.max ?? 0) || (length.min ?? 1) < 1 || (length.min ?? 1) > (length.max ?? 4096)) {
      problems.push("'domain' is empty: it needs logp.min < logp.max and 1 <= length.min <= length.max");
    }
  }
  for (const field of ['invariants', 'properties'] as const) {
    if (loss[field] !== undefined && !Array.isArray(loss[field])) problems.push(`'${field}' must be a list`);
  }
  (Array.isArray(loss.properties) ? loss.properties : []).forEach((property, i) => {
    if (typeof property?.name !== 'string' || property.name === '' || typeof property.check !== 'function') {
      problems.push(`'properties[${i}]' must be { name: string, check(pair, evaluate, params) }`);
    }
  });
  if (loss.notApplicable !== undefined) {
    for (const [id, reason] of Object.entries(loss.notApplicable ?? {})) {
      if (!(GENERIC_PROPERTY_IDS as readonly string[]).includes(id)) {
        problems.push(`'notApplicable' names '${id}', which is not a generic property (${GENERIC_PROPERTY_IDS.join(', ')})`);
      } else if (typeof reason !== 'string' || reason.trim() === '') {
        problems.push(`'notApplicable.${id}' must give the reason as a non-empty string`);
      }
    }
  }
  return problems;
}
