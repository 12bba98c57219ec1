/**
 * Option parsing shared by every command: numbers (integer or real, with a range), repeated
 * options. An option that does not parse is a one-line UserError naming it. (`--set`
 * assignments: core/config/overrides.ts.)
 */
import { Option } from 'commander';
import { UserError } from '../errors.ts';

/** Collects repeated options (`--plugin a --plugin b`) into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export interface NumberRange {
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
}

const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function expectation(kind: 'integer' | 'real', { min, max }: NumberRange): string {
  const noun = kind === 'integer' ? 'an integer' : 'a number';
  if (min !== undefined && max !== undefined) return `${noun} in [${min}, ${max}]`;
  if (min !== undefined) return `${noun} >= ${min}`;
  if (max !== undefined) return `${noun} <= ${max}`;
  return noun;
}

/** Parses `text` as the option `flag` expects: an integer or a finite real number within `range`. */
export function parseNumber(flag: string, text: string, kind: 'integer' | 'real', range: NumberRange = {}): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  const ok =
    (kind === 'integer' ? INTEGER.test(trimmed) && Number.isSafeInteger(value) : REAL.test(trimmed) && Number.isFinite(value)) &&
    (range.min === undefined || value >= range.min) &&
    (range.max === undefined || value <= range.max);
  if (!ok) throw new UserError(`${flag} expects ${expectation(kind, range)} (got '${text}')`);
  return value;
}

function numberOption(kind: 'integer' | 'real', flags: string, description: string, range: NumberRange & { default?: number }): Option {
  const option = new Option(flags, `${description} (${expectation(kind, range)})`);
  option.argParser((text: string) => parseNumber(option.long!, text, kind, range));
  if (range.default !== undefined) option.default(range.default);
  return option;
}

/** An option holding an integer, e.g. `integerOption('--batch-size <n>', 'pairs per batch', { min: 1, default: 16 })`. */
export function integerOption(flags: string, description: string, range: NumberRange & { default?: number } = {}): Option {
  return numberOption('integer', flags, description, range);
}

/** An option holding a finite real number within a range. */
export function realOption(flags: string, description: string, range: NumberRange & { default?: number } = {}): Option {
  return numberOption('real', flags, description, range);
}

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 2 ** 32 - 1;

/** `--seed <s>`, an integer in [0, 2^32 - 1]. */
export function seedOption(description = 'random seed', defaultSeed = 0): Option {
  return integerOption('--seed <s>', description, { min: 0, max: MAX_SEED, default: defaultSeed });
}
