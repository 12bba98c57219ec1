/** Config validation errors in words: the path of the bad key (`loss.beta`, `loss[1].weight`) and the rule it broke. */
import type { ErrorObject } from 'ajv';

/** `/loss/1/beta` -> `loss[1].beta`. */
export function keyPath(segments: readonly (string | number)[]): string {
  return segments.reduce<string>((out, seg) => {
    if (typeof seg === 'number' || /^\d+$/.test(String(seg))) return `${out}[${seg}]`;
    return out ? `${out}.${seg}` : String(seg);
  }, '');
}

/** The JSON-pointer path of an ajv error as segments (array indices as numbers). */
export function pointerSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

const COMBINATORS = new Set(['if', 'allOf', 'anyOf', 'oneOf', 'then', 'else']);

/** The ajv error to report: the innermost one (combinator errors only wrap others). */
export function primaryError(errors: readonly ErrorObject[]): ErrorObject {
  return errors.find((e) => !COMBINATORS.has(e.keyword)) ?? errors[0]!;
}

/** The segments of the key an error is about (for `required` and `additionalProperties`, the named child). */
export function errorSegments(error: ErrorObject): (string | number)[] {
  const base = pointerSegments(error.instancePath);
  if (error.keyword === 'additionalProperties') return [...base, String(error.params.additionalProperty)];
  if (error.keyword === 'required') return [...base, String(error.params.missingProperty)];
  return base;
}

function knownKeys(error: ErrorObject): string[] {
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return Object.keys(properties).filter((k) => k !== '$schema');
}

/** `got -1`: the offending value, for errors about a value (not for unknown or missing keys). */
export function offendingValue(error: ErrorObject): string | undefined {
  if (error.keyword === 'additionalProperties' || error.keyword === 'required' || error.data === undefined) return undefined;
  if (error.keyword === 'enum' && error.instancePath.endsWith('/name')) return undefined;
  const text = JSON.stringify(error.data);
  return `got ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

/** One phrase describing the error, starting with the key's path (the value is not included). */
export function describeConfigError(error: ErrorObject, options: { lossNames?: string[] } = {}): string {
  const path = keyPath(errorSegments(error));
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key '${path}' (known: ${knownKeys(error).join(', ') || 'none'})`;
    case 'required':
      return `missing required key '${path}'`;
    case 'enum':
      if (path.endsWith('name') && options.lossNames && error.instancePath.includes('loss')) {
        return `${path}: unknown loss ${JSON.stringify(error.data)} (known: ${options.lossNames.join(', ')})`;
      }
      return `${path} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${path || 'the config'} must be ${error.params.type === 'object' ? 'a mapping of keys' : `of type ${error.params.type}`}`;
    default:
      return `${path || 'the config'} ${error.message}`;
  }
}
