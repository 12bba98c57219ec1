/**
 * Answer extraction and exact-match scoring, as GSM8K is scored: the answer is the number after
 * the last `####` (commas removed); a prediction is right when that number equals the reference's.
 */

const NUMBER = /-?\d[\d,]*(?:\.\d+)?|-?\.\d+/;
const ALL_NUMBERS = new RegExp(NUMBER.source, 'g');

function parseNumber(text: string): number | undefined {
  const value = Number(text.replaceAll(',', ''));
  return Number.isFinite(value) ? value : undefined;
}

/**
 * The final answer of a solution: the first number after the last `####`. With
 * `fallbackToLastNumber` (lm-eval's "flexible extract"), the last number in the text when there is
 * no `####`. Undefined when there is no answer.
 */
export function extractAnswer(text: string, options: { fallbackToLastNumber?: boolean } = {}): number | undefined {
  const mark = text.lastIndexOf('####');
  if (mark >= 0) {
    const match = NUMBER.exec(text.slice(mark + 4).trimStart().split('\n')[0] ?? '');
    return match && match.index === 0 ? parseNumber(match[0]) : undefined;
  }
  if (!options.fallbackToLastNumber) return undefined;
  const all = text.match(ALL_NUMBERS);
  return all ? parseNumber(all[all.length - 1]!) : undefined;
}

/** Whether a generated solution's answer equals the reference (a number, or a solution text with `####`). */
export function isCorrect(generated: string, reference: number | string, options: { fallbackToLastNumber?: boolean } = {}): boolean {
  const expected = typeof reference === 'number' ? reference : extractAnswer(reference);
  const got = extractAnswer(generated, options);
  return expected !== undefined && got !== undefined && Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

export interface ExactMatch {
  correct: number;
  total: number;
  /** correct / total (0 for no items). */
  accuracy: number;
  /** Per item: whether it was right. */
  matches: boolean[];
}

/** Exact-match accuracy of generated solutions against references (in order). */
export function exactMatch(
  generated: readonly string[],
  references: readonly (number | string)[],
  options: { fallbackToLastNumber?: boolean } = {},
): ExactMatch {
  if (generated.length !== references.length) {
    throw new RangeError(`exactMatch: ${generated.length} generations for ${references.length} references`);
  }
  const matches = generated.map((g, i) => isCorrect(g, references[i]!, options));
  const correct = matches.filter(Boolean).length;
  return { correct, total: matches.length, accuracy: matches.length ? correct / matches.length : 0, matches };
}
