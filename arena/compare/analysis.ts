/**
 * What a comparison's per-seed results say: the table rows (mean ± standard error over seeds) and
 * the paired comparisons at each learning rate — every method against the SFT model it started
 * from, and every two methods against each other — on the same units (seed x test question), with
 * a bootstrap 95% interval and a sign test. A comparison is called a difference only when its
 * interval excludes 0.
 */
import { pairedDifference, type PairedDifference, type UnitScores } from '../stats/index.ts';
import { tableRows, type RunSummary, type TableRow } from './summary.ts';

/** One finished preference run as results.json keeps it: its summary and its per-question scores. */
export interface RunResult {
  summary: RunSummary;
  /** 1/0 per test question, in test order. */
  correct: number[];
  /** The first few test answers (for the report). */
  samples: string[];
  seconds: number;
  /** Set when training diverged (non-finite loss): the run then counts as answering nothing right. */
  diverged?: string;
}

export interface Comparison {
  learningRate: number;
  lrLabel: string;
  /** b - a: `b` is the method compared, `a` the baseline ('SFT' or another method). */
  a: string;
  b: string;
  seeds: number[];
  questions: number;
  difference: PairedDifference;
}

export interface Analysis {
  rows: TableRow[];
  comparisons: Comparison[];
  /** One sentence per comparison. */
  lines: string[];
}

const points = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;

/** A comparison in words: the difference with its interval, and whether it is clear. */
export function describeComparison(c: Comparison): string {
  const d = c.difference;
  const interval = `95% interval [${points(d.low)}, ${points(d.high)}] points; sign test ${d.bWins}:${d.aWins}, p = ${d.signTestP.toPrecision(2)}`;
  const verdict = !d.clear ? 'no clear difference' : d.mean > 0 ? `${c.b} is clearly better` : `${c.b} is clearly worse`;
  return `lr ${c.lrLabel}: ${c.b} - ${c.a} = ${points(d.mean)} points test accuracy (${interval}; ${c.seeds.length} seed${c.seeds.length === 1 ? '' : 's'} x ${c.questions} questions): ${verdict}.`;
}

/**
 * The analysis of a comparison's runs. `sftCorrect` is the per-question scores of the SFT model a
 * seed's runs started from: one list when every seed shares one model, or a function of the seed
 * when each seed has its own (then "method - SFT" pairs each run with its own start). `methods`
 * orders the rows and pairs.
 */
export function analyze(runs: readonly RunResult[], sftCorrect: readonly number[] | ((seed: number) => readonly number[]), methods: readonly string[], options: { seed?: number; resamples?: number } = {}): Analysis {
  const sftOf = typeof sftCorrect === 'function' ? sftCorrect : () => sftCorrect;
  const rows = tableRows(runs.map((r) => r.summary), methods);
  const rates = [...new Set(runs.map((r) => r.summary.learningRate))].sort((x, y) => x - y);
  const comparisons: Comparison[] = [];
  for (const lr of rates) {
    const at = runs.filter((r) => r.summary.learningRate === lr);
    const lrLabel = at[0]!.summary.lrLabel;
    const present = methods.filter((m) => at.some((r) => r.summary.method === m));
    // Pair on the seeds every compared method finished.
    const seedsOf = (m: string) => new Set(at.filter((r) => r.summary.method === m).map((r) => r.summary.seed));
    const scores = (m: string, seeds: number[]): UnitScores => seeds.map((s) => at.find((r) => r.summary.method === m && r.summary.seed === s)!.correct);
    const compare = (a: string, b: string, seeds: number[], aScores: UnitScores, bScores: UnitScores) => {
      if (seeds.length === 0) return;
      comparisons.push({ learningRate: lr, lrLabel, a, b, seeds, questions: aScores[0]!.length, difference: pairedDifference(aScores, bScores, options) });
    };
    for (const m of present) {
      const seeds = [...seedsOf(m)].sort((x, y) => x - y);
      compare('SFT', m, seeds, seeds.map(sftOf), scores(m, seeds));
    }
    for (let i = 0; i < present.length; i++) {
      for (let j = i + 1; j < present.length; j++) {
        const a = present[i]!, b = present[j]!;
        const shared = [...seedsOf(a)].filter((s) => seedsOf(b).has(s)).sort((x, y) => x - y);
        compare(a, b, shared, scores(a, shared), scores(b, shared));
      }
    }
  }
  return { rows, comparisons, lines: comparisons.map(describeComparison) };
}

/** The comparison of `b` against `a` at a learning rate, if it was made (in either direction, flipped to b - a). */
export function findComparison(analysis: Analysis, learningRate: number, a: string, b: string): PairedDifference | undefined {
  const direct = analysis.comparisons.find((c) => c.learningRate === learningRate && c.a === a && c.b === b);
  if (direct) return direct.difference;
  const flipped = analysis.comparisons.find((c) => c.learningRate === learningRate && c.a === b && c.b === a);
  if (!flipped) return undefined;
  const d = flipped.difference;
  return { ...d, mean: -d.mean, low: -d.high, high: -d.low, bWins: d.aWins, aWins: d.bWins };
}
