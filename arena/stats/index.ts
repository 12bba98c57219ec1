/**
 * The statistics of a comparison: a cell of the table is a mean over seeds with its standard
 * error; two methods are compared on the same units (seed x test question), by a paired bootstrap
 * that resamples seeds and questions (a 95% percentile interval of the mean difference) and by an
 * exact two-sided sign test over the units where they disagree. Pure functions on plain numbers.
 */
import { createRng } from '../../core/index.ts';

export interface MeanSe {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  sd: number;
  /** Standard error of the mean, sd / sqrt(n); 0 for one value (nothing to estimate it from). */
  se: number;
  n: number;
}

/** Mean, standard deviation and standard error of the finite values (NaN mean when none). */
export function meanSe(values: readonly number[]): MeanSe {
  const finite = values.filter(Number.isFinite);
  const n = finite.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, se: Number.NaN, n: 0 };
  const mean = finite.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, se: sd / Math.sqrt(n), n };
}

/**
 * Per-unit scores of one method: `scores[s][q]` is the score (1 correct, 0 wrong) of seed s on
 * question q. Two methods are paired when their rows are the same seeds and their columns the same
 * questions, in the same order.
 */
export type UnitScores = readonly (readonly number[])[];

export interface PairedDifference {
  /** Mean over seeds and questions of b - a. */
  mean: number;
  /** 95% percentile interval of the bootstrap distribution of the mean difference. */
  low: number;
  high: number;
  /** Bootstrap resamples drawn. */
  resamples: number;
  /** Units where b beat a, and where a beat b (ties are left out of the sign test). */
  bWins: number;
  aWins: number;
  /** Exact two-sided sign-test p-value over the units that differ (1 when none differ). */
  signTestP: number;
  /** True when the 95% interval excludes 0. */
  clear: boolean;
}

function checkPaired(a: UnitScores, b: UnitScores): void {
  if (a.length === 0 || a.length !== b.length || a.some((row, s) => row.length === 0 || row.length !== b[s]!.length)) {
    throw new Error(`paired scores need the same seeds and questions (got ${a.length} x ${a[0]?.length ?? 0} and ${b.length} x ${b[0]?.length ?? 0})`);
  }
}

/** The value below which a fraction `p` of the sorted values lie (nearest-rank percentile). */
export function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}

/**
 * Paired bootstrap of the mean difference b - a over seeds x questions: each resample draws the
 * seeds with replacement and, independently, the questions with replacement, and averages the
 * differences of the drawn (seed, question) units. Seeded: the same inputs give the same interval.
 */
export function pairedBootstrap(a: UnitScores, b: UnitScores, options: { resamples?: number; seed?: number } = {}): { mean: number; low: number; high: number; resamples: number } {
  checkPaired(a, b);
  const resamples = options.resamples ?? 2000;
  const seeds = a.length, questions = a[0]!.length;
  const diff = a.map((row, s) => row.map((x, q) => b[s]![q]! - x));
  const mean = diff.reduce((sum, row) => sum + row.reduce((x, y) => x + y, 0), 0) / (seeds * questions);
  const rng = createRng(options.seed ?? 0);
  const means = new Float64Array(resamples);
  const seedCount = new Float64Array(seeds);
  for (let r = 0; r < resamples; r++) {
    seedCount.fill(0);
    for (let i = 0; i < seeds; i++) seedCount[Math.floor(rng.next() * seeds)]! += 1;
    let total = 0;
    for (let j = 0; j < questions; j++) {
      const q = Math.floor(rng.next() * questions);
      for (let s = 0; s < seeds; s++) if (seedCount[s]) total += seedCount[s]! * diff[s]![q]!;
    }
    means[r] = total / (seeds * questions);
  }
  const sorted = [...means].sort((x, y) => x - y);
  return { mean, low: percentile(sorted, 0.025), high: percentile(sorted, 0.975), resamples };
}

/** log(n choose k). */
function logChoose(n: number, k: number): number {
  let out = 0;
  for (let i = 1; i <= k; i++) out += Math.log(n - k + i) - Math.log(i);
  return out;
}

/**
 * Exact two-sided sign test: the probability, if wins and losses were equally likely, of a split
 * at least as uneven as `wins` : `losses`. 1 when there are no non-tied units.
 */
export function signTest(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  const k = Math.min(wins, losses);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return Math.min(1, 2 * tail);
}

/** The paired comparison of b against a: bootstrap interval, sign test, and whether it is clear. */
export function pairedDifference(a: UnitScores, b: UnitScores, options: { resamples?: number; seed?: number } = {}): PairedDifference {
  const boot = pairedBootstrap(a, b, options);
  let bWins = 0, aWins = 0;
  a.forEach((row, s) => row.forEach((x, q) => {
    const y = b[s]![q]!;
    if (y > x) bWins += 1;
    else if (x > y) aWins += 1;
  }));
  return { ...boot, bWins, aWins, signTestP: signTest(bWins, aWins), clear: boot.low > 0 || boot.high < 0 };
}
