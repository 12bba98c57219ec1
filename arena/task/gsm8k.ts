/**
 * Preference pairs from GSM8K-format data (`question`, `answer` with `<<a*b=c>>` calculator
 * annotations and a final `#### N`), the way the synthetic task makes them: chosen = the reference
 * solution; rejected = the same with one annotated intermediate result made wrong and the wrong
 * value carried forward (later annotations recomputed, their visible results and the final answer
 * rewritten).
 *
 * Propagation is textual: after the corrupted step, every number equal to a changed result is
 * replaced. A question constant that happens to equal a changed result is replaced too; such
 * coincidences are rare and only make the rejected answer more wrong.
 */
import { createRng, lineError, shuffled, type Rng } from '../../core/index.ts';
import { extractAnswer } from './answer.ts';
import { formatPrompt } from './solution.ts';

/** A number as it appears in text: `1,000`, `12`, `0.5`. */
const NUMBER_TOKEN = /\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?/g;
const ANNOTATION = /<<([^<>=]*)=([^<>]*)>>/g;

/** Evaluates + - * / (and x, ×) with parentheses; undefined for anything else. */
export function evaluateExpression(expression: string): number | undefined {
  const tokens = expression.replace(/\s+/g, '').replace(/[x×]/g, '*').match(/\d[\d,]*(?:\.\d+)?|\.\d+|[-+*/()]/g);
  if (!tokens || tokens.join('') !== expression.replace(/\s+/g, '').replace(/[x×]/g, '*')) return undefined;
  let i = 0;
  const primary = (): number => {
    const t = tokens[i++];
    if (t === '(') {
      const v = sum();
      if (tokens[i++] !== ')') throw new Error('unbalanced');
      return v;
    }
    if (t === '-') return -primary();
    if (t === '+') return primary();
    if (t === undefined || !/[\d.]/.test(t[0]!)) throw new Error('operand expected');
    return Number(t.replaceAll(',', ''));
  };
  const product = (): number => {
    let v = primary();
    while (tokens[i] === '*' || tokens[i] === '/') v = tokens[i++] === '*' ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  try {
    const v = sum();
    return i === tokens.length && Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A value as GSM8K writes it: integers plainly, decimals to at most 4 places. */
export function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.011 * Math.max(1, Math.abs(b));
}

interface Annotation {
  start: number;
  end: number;
  expression: string;
  stated: number;
}

/** The calculator annotations of a solution whose stated results match their expressions. */
function annotations(answer: string): (Annotation & { consistent: boolean })[] {
  return [...answer.matchAll(ANNOTATION)].map((m) => {
    const stated = Number(m[2]!.replaceAll(',', ''));
    const computed = evaluateExpression(m[1]!);
    return {
      start: m.index,
      end: m.index + m[0].length,
      expression: m[1]!,
      stated,
      consistent: Number.isFinite(stated) && computed !== undefined && close(computed, stated),
    };
  });
}

function substitute(text: string, mapping: ReadonlyMap<number, number>): string {
  return text.replace(NUMBER_TOKEN, (token) => {
    const value = Number(token.replaceAll(',', ''));
    const replacement = mapping.get(value);
    return replacement === undefined ? token : formatValue(replacement);
  });
}

/**
 * The solution with annotation `k`'s result set to `wrong` and the change carried forward, or
 * undefined when a later annotation cannot be recomputed.
 */
export function corruptAnnotatedSolution(answer: string, k: number, wrong: number): string | undefined {
  const list = annotations(answer);
  const target = list[k];
  if (!target) return undefined;
  const mapping = new Map<number, number>([[target.stated, wrong]]);
  let out = `${answer.slice(0, target.start)}<<${target.expression}=${formatValue(wrong)}>>`;
  let pos = target.end;
  for (const next of list.slice(k + 1)) {
    out += substitute(answer.slice(pos, next.start), mapping);
    const expression = substitute(next.expression, mapping);
    let result = next.stated;
    if (expression !== next.expression) {
      const value = evaluateExpression(expression);
      if (value === undefined || !next.consistent) return undefined;
      result = value;
      if (!close(result, next.stated)) mapping.set(next.stated, result);
    }
    out += `<<${expression}=${formatValue(result)}>>`;
    pos = next.end;
  }
  return out + substitute(answer.slice(pos), mapping);
}

const DELTAS = [1, -1, 2, -2, 3, -3, 4, -4, 5, -5];

/**
 * A rejected solution for a GSM8K answer: one intermediate annotated result made wrong (the last
 * one only when there is no other), with a changed final answer. Undefined when none can be made.
 */
export function rejectGsm8kAnswer(answer: string, rng: Rng): { rejected: string; step: number } | undefined {
  const list = annotations(answer);
  const final = extractAnswer(answer);
  if (final === undefined) return undefined;
  const consistent = list.map((a, i) => (a.consistent ? i : -1)).filter((i) => i >= 0);
  const intermediate = consistent.filter((i) => i < list.length - 1);
  const lastOnly = consistent.filter((i) => i === list.length - 1);
  for (const candidates of [shuffled(intermediate, rng), lastOnly]) {
    for (const k of candidates) {
      for (const delta of shuffled(DELTAS, rng)) {
        const wrong = list[k]!.stated + delta;
        if (list[k]!.stated >= 0 && wrong < 0) continue;
        const rejected = corruptAnnotatedSolution(answer, k, wrong);
        const got = rejected === undefined ? undefined : extractAnswer(rejected);
        if (rejected !== undefined && got !== undefined && got !== final) return { rejected, step: k };
      }
    }
  }
  return undefined;
}

/** Removes `<<...>>` calculator annotations. */
export function stripAnnotations(text: string): string {
  return text.replace(/<<[^<>]*>>/g, '');
}

export interface Gsm8kConvertOptions {
  seed: number;
  /** Remove the `<<...>>` annotations from chosen and rejected (default false). */
  stripAnnotations?: boolean;
}

export interface Gsm8kPair {
  prompt: string;
  chosen: string;
  rejected: string;
}

export interface Gsm8kConversion {
  pairs: Gsm8kPair[];
  /** Source lines for which no rejected answer could be made (no usable annotation). */
  skippedLines: number[];
}

/** Checks one GSM8K record; throws `FILE:LINE: field ...`. */
export function parseGsm8kRecord(value: unknown, file: string, line: number): { question: string; answer: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw lineError(file, line, 'expected a JSON object');
  const { question, answer } = value as Record<string, unknown>;
  if (typeof question !== 'string' || question.trim() === '') {
    throw lineError(file, line, `field 'question' must be a non-empty string (got ${JSON.stringify(question)})`);
  }
  if (typeof answer !== 'string' || extractAnswer(answer) === undefined) {
    throw lineError(file, line, `field 'answer' must be a GSM8K solution ending in '#### N' (got ${JSON.stringify(answer)?.slice(0, 60)})`);
  }
  return { question, answer };
}

/** Converts GSM8K records (with their line numbers) into preference pairs. */
export function convertGsm8k(records: readonly { line: number; question: string; answer: string }[], options: Gsm8kConvertOptions): Gsm8kConversion {
  const rng = createRng(options.seed);
  const pairs: Gsm8kPair[] = [];
  const skippedLines: number[] = [];
  const clean = (text: string) => (options.stripAnnotations ? stripAnnotations(text) : text);
  for (const { line, question, answer } of records) {
    const made = rejectGsm8kAnswer(answer, rng);
    if (!made) {
      skippedLines.push(line);
      continue;
    }
    pairs.push({ prompt: formatPrompt(question), chosen: clean(answer), rejected: clean(made.rejected) });
  }
  return { pairs, skippedLines };
}
