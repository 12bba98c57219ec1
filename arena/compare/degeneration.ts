/**
 * Degeneration of generated solutions: how much a model repeats itself and how often its answer
 * is not a well-formed solution. A model pushed too far (the failure the MinorDPO paper describes
 * for DPO at high learning rates) loops ("has has has ...") or never reaches `#### N` and EOS.
 */

/** The words of a text (whitespace-separated). */
function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/**
 * rep-n (Welleck et al., 2019): the fraction of a text's word n-grams that repeat an n-gram seen
 * earlier in the same text, 1 - unique / total. 0 when the text has fewer than n words.
 */
export function repeatedNgramRate(text: string, n = 4): number {
  const w = words(text);
  const total = w.length - n + 1;
  if (total <= 0) return 0;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(w.slice(i, i + n).join(' '));
  return 1 - seen.size / total;
}

/**
 * Whether a generated solution is well-formed: it stopped with EOS, and its last line is the
 * final answer `#### N` (an integer), as every training solution is.
 */
export function isWellFormed(text: string, finishReason: 'eos' | 'length'): boolean {
  if (finishReason !== 'eos') return false;
  const lines = text.trimEnd().split('\n');
  return lines.length >= 2 && /^#### -?\d+$/.test(lines[lines.length - 1]!);
}

export interface DegenerationMetrics {
  /** Mean rep-4 over the generations. */
  repeated_ngrams: number;
  /** Fraction of generations that are not well-formed. */
  malformed: number;
  /** Fraction that ran to the token limit without EOS. */
  no_eos: number;
}

/** Degeneration metrics of a set of generations (zeros for none). */
export function degeneration(generations: readonly { text: string; finishReason: 'eos' | 'length' }[]): DegenerationMetrics {
  const n = generations.length;
  if (n === 0) return { repeated_ngrams: 0, malformed: 0, no_eos: 0 };
  const mean = (f: (g: { text: string; finishReason: 'eos' | 'length' }) => number) => generations.reduce((s, g) => s + f(g), 0) / n;
  return {
    repeated_ngrams: mean((g) => repeatedNgramRate(g.text)),
    malformed: mean((g) => (isWellFormed(g.text, g.finishReason) ? 0 : 1)),
    no_eos: mean((g) => (g.finishReason === 'eos' ? 0 : 1)),
  };
}
