/**
 * Config files as YAML documents (JSON is YAML) with line numbers, and validation of any such
 * document against a JSON Schema with the run config's error wording:
 * `compare.yaml: learningRates[1] must be > 0 (got -1; line 7)`. The run config (load.ts) and
 * other config files (e.g. the arena's comparison config) share it.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import YAML, { LineCounter, type Document } from 'yaml';
import { UserError } from '../errors.ts';
import { describeConfigError, errorSegments, offendingValue, primaryError } from './errors.ts';

export interface ConfigDocument {
  /** The parsed value (plain JS). */
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

/** Most `*alias` expansions a config may use (a config needs a handful; an alias bomb needs millions). */
const MAX_ALIAS_COUNT = 100;

/** The source text of a config as a YAML document (JSON is YAML), or a UserError naming the line. */
export function parseDocument(text: string, source: string): { value: unknown; doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter: lines });
  const problem = doc.errors[0];
  if (problem) {
    const line = problem.linePos?.[0].line;
    throw new UserError(`${source}${line ? `:${line}` : ''}: invalid ${/\.json$/i.test(source) ? 'JSON/' : ''}YAML: ${problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // yaml's guard against alias bombs (a few lines that expand to billions of nodes)
    throw new UserError(`${source}: invalid YAML: ${(error as Error).message} (more than ${MAX_ALIAS_COUNT} alias expansions)`);
  }
  return { value, doc, lines };
}

/** The key path of the first number that is NaN or infinite (`.inf`, `.nan`, `1e999`), if any. */
export function nonFiniteNumber(value: unknown, at: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : at;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = nonFiniteNumber(child, [...at, Array.isArray(value) ? Number(key) : key]);
    if (found) return found;
  }
  return undefined;
}

/** The value at a key path. */
export function valueAt(value: unknown, segments: (string | number)[]): unknown {
  return segments.reduce<unknown>((node, seg) => (node as Record<string | number, unknown>)[seg], value);
}

/** The line of the key at `segments` (or of its nearest parent that has one). */
export function lineOf(doc: Document | undefined, lines: LineCounter | undefined, segments: (string | number)[]): number | undefined {
  if (!doc || !lines) return undefined;
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

/** Reads a YAML or JSON file as a document, or a UserError naming the file (and line). */
export async function readConfigDocument(file: string): Promise<ConfigDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read the config: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseDocument(text, file);
}

/** Compiles a schema with the run config's ajv options (defaults filled, one error at a time). */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  return new Ajv({ useDefaults: true, allErrors: false, strict: false, verbose: true }).compile(schema);
}

/**
 * Validates `value` in place (defaults filled) against a compiled schema; a violation is a
 * UserError naming the source, the key path, the rule, the offending value and its line
 * (`lossNames` lists the known losses when a loss name is unknown).
 */
export function validateDocument(value: unknown, validate: ValidateFunction, options: { source: string; doc?: Document; lines?: LineCounter; lossNames?: string[] }): void {
  if (validate(value)) return;
  const error = primaryError(validate.errors!);
  const segments = errorSegments(error);
  const line = lineOf(options.doc, options.lines, segments);
  const extras = [offendingValue(error), line ? `line ${line}` : undefined].filter(Boolean);
  throw new UserError(`${options.source}: ${describeConfigError(error, { lossNames: options.lossNames })}${extras.length ? ` (${extras.join('; ')})` : ''}`);
}
