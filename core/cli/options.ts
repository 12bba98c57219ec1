/** Option parsers shared by several commands. */
import { UserError } from '../errors.ts';

/** Collects repeated options (`--plugin a --plugin b`) into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parses one `--set key=value` into [key, value]; the value is read as JSON when it parses as JSON. */
export function parseAssignment(text: string): [string, unknown] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set expects key=value (got '${text}')`);
  const key = text.slice(0, eq).trim();
  const raw = text.slice(eq + 1).trim();
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // not JSON: keep the plain string
  }
  return [key, value];
}

/** `--set` assignments as an object of flat keys. */
export function assignments(list: string[] = []): Record<string, unknown> {
  return Object.fromEntries(list.map(parseAssignment));
}
