/** `--set a.b=value` overrides: the value is read as a YAML scalar (`0.1`, `true`, `cosine`, `null`), or a flow list/map. */
import YAML from 'yaml';
import { UserError } from '../errors.ts';

export interface Override {
  /** The option as given, for messages. */
  text: string;
  /** Key path; numbers index lists (`loss[1].beta` or `loss.1.beta`). */
  path: (string | number)[];
  value: unknown;
}

/** Keys that would reach Object.prototype (`--set __proto__.polluted=1`): never a config key. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses one `key.path=value`. */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set expects key.path=value (got '${text}')`);
  const key = text.slice(0, eq).trim();
  const path: (string | number)[] = [];
  for (const part of key.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && m[2] === '')) throw new UserError(`--set ${text}: bad key path '${key}'`);
    if (m[1]) path.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  const forbidden = path.find((segment) => FORBIDDEN_KEYS.has(String(segment)));
  if (forbidden !== undefined) throw new UserError(`--set ${text}: '${forbidden}' is not allowed as a key`);
  let value: unknown;
  try {
    value = YAML.parse(text.slice(eq + 1));
  } catch (error) {
    throw new UserError(`--set ${text}: cannot read the value: ${(error as Error).message.split('\n')[0]}`);
  }
  return { text, path, value };
}

/** Applies overrides to a parsed config in place, creating missing sections. */
export function applyOverrides(config: Record<string, unknown>, overrides: readonly Override[]): void {
  for (const { text, path, value } of overrides) {
    let node: unknown = config;
    path.forEach((segment, i) => {
      const container = node as Record<string | number, unknown>;
      if (i === path.length - 1) {
        container[segment] = value;
        return;
      }
      if (container[segment] === undefined || container[segment] === null) container[segment] = typeof path[i + 1] === 'number' ? [] : {};
      node = container[segment];
      if (typeof node !== 'object') {
        throw new UserError(`--set ${text}: '${path.slice(0, i + 1).join('.')}' is a value, not a section`);
      }
    });
  }
}

/** Whether `path` lies at or under an overridden key path; returns that override. */
export function overrideFor(path: readonly (string | number)[], overrides: readonly Override[]): Override | undefined {
  return [...overrides].reverse().find((o) => o.path.length <= path.length && o.path.every((seg, i) => String(seg) === String(path[i])));
}

/**
 * `--set` assignments as one object (`beta=0.2`, `a.b=[1, 2]`), e.g. a loss's params: the same
 * syntax as config overrides.
 */
export function parseAssignments(list: readonly string[] = []): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  applyOverrides(values, list.map(parseOverride));
  return values;
}
