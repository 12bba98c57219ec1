/** Validation of a loss's params against its JSON Schema (ajv): defaults filled, unknown keys rejected. */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { LossParams, PreferenceLoss } from './contract.ts';
import { UserError } from '../errors.ts';

const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: true });
const compiled = new WeakMap<PreferenceLoss<any>, ValidateFunction>();

function validatorFor(loss: PreferenceLoss<any>): ValidateFunction {
  let validate = compiled.get(loss);
  if (!validate) {
    validate = ajv.compile({ ...loss.paramsSchema, additionalProperties: false });
    compiled.set(loss, validate);
  }
  return validate;
}

/** Checks that a loss's params schema is a valid JSON Schema; returns the problem or undefined. */
export function paramsSchemaProblem(loss: PreferenceLoss<any>): string | undefined {
  try {
    validatorFor(loss);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Params whose default is missing (and that are not required) or rejected by the param's own
 * schema: each problem names the param. The schema itself must already compile.
 */
export function paramDefaultProblems(loss: PreferenceLoss<any>): string[] {
  const required = new Set(loss.paramsSchema.required ?? []);
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(loss.paramsSchema.properties)) {
    if (spec.default === undefined) {
      if (!required.has(key)) problems.push(`param '${key}' has no default (give it one, or list it in 'required')`);
      continue;
    }
    const { default: value, ...rule } = spec;
    const validate = ajv.compile(rule);
    if (!validate(structuredClone(value))) {
      problems.push(`the default of param '${key}' (${JSON.stringify(value)}) breaks its own schema: it ${validate.errors![0]!.message}`);
    }
  }
  return problems;
}

/** Describes one ajv error in words that name the param and the rule it broke. */
export function describeParamError(error: ErrorObject, knownParams: string[]): string {
  const param = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  if (error.keyword === 'additionalProperties') {
    const key = String(error.params.additionalProperty);
    return `unknown param '${key}' (known: ${knownParams.join(', ') || 'none'})`;
  }
  if (error.keyword === 'required') return `missing required param '${error.params.missingProperty}'`;
  return `param '${param || '(params)'}' ${error.message}`;
}

/**
 * The loss's params: a copy of `given` validated against the loss's schema with defaults filled.
 * Throws a UserError naming the loss, the param and the rule.
 */
export function resolveParams<P>(loss: PreferenceLoss<P>, given: LossParams = {}): P {
  const params: LossParams = structuredClone(given);
  const validate = validatorFor(loss);
  if (!validate(params)) {
    const known = Object.keys(loss.paramsSchema.properties);
    const detail = describeParamError(validate.errors![0]!, known);
    throw new UserError(`loss '${loss.name}': ${detail}`);
  }
  return params as P;
}

/** The default value of each param, from the schema (undefined where none is given). */
export function paramDefaults(loss: PreferenceLoss<any>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(loss.paramsSchema.properties).map(([key, spec]) => [key, spec.default]),
  );
}
