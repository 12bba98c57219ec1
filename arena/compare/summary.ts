/**
 * From a run's logged metrics (metrics.jsonl) to the numbers the report compares: accuracy before
 * and after, reward accuracy and margin, drift from the reference, how often a rejected answer
 * already below the reference still got pushed down, and degeneration. Pure functions: the tests
 * feed them synthetic metrics.
 */
import { meanSe, type MeanSe } from '../stats/index.ts';

/** One line of metrics.jsonl: training lines carry `loss`, evaluation lines `eval_*`. */
export type MetricsRecord = Record<string, unknown> & { step: number };

/** Test-split numbers of a model: exact-match accuracy and degeneration. */
export interface TaskNumbers {
  accuracy: number;
  repeated_ngrams: number;
  malformed: number;
}

/** What the report shows for one preference run. */
export interface RunSummary {
  method: string;
  lrLabel: string;
  learningRate: number;
  seed: number;
  /** Test exact-match accuracy of the SFT model the run started from, and after the run. */
  accuracyBefore: number;
  accuracyAfter: number;
  /** Final evaluation on the held-out preference split. */
  rewardAccuracy: number;
  margin: number;
  /** Final mean log-ratios policy - reference (summed log-probs) of chosen and rejected answers. */
  logratioChosen: number;
  logratioRejected: number;
  /** Mean over training of the fraction of pairs below the reference that still got gradient. */
  pushedBelowRef: number;
  /** Degeneration of the test generations before and after. */
  malformedBefore: number;
  malformedAfter: number;
  repeatedBefore: number;
  repeatedAfter: number;
}

function num(record: MetricsRecord | undefined, key: string): number {
  const value = record?.[key];
  return typeof value === 'number' ? value : Number.NaN;
}

/** The last record holding `key`. */
export function lastWith(history: readonly MetricsRecord[], key: string): MetricsRecord | undefined {
  for (let i = history.length - 1; i >= 0; i--) if (typeof history[i]![key] === 'number') return history[i];
  return undefined;
}

/** Mean of `key` over the records holding it (NaN when none do). */
export function meanOf(history: readonly MetricsRecord[], key: string): number {
  const values = history.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

/** A run's summary from its metrics history and the SFT model's test numbers. */
export function summarizeRun(
  run: { method: string; lrLabel: string; learningRate: number; seed: number },
  history: readonly MetricsRecord[],
  before: TaskNumbers,
): RunSummary {
  const finalEval = lastWith(history, 'eval_accuracy') ?? lastWith(history, 'eval_rewards/accuracies');
  return {
    ...run,
    accuracyBefore: before.accuracy,
    accuracyAfter: num(finalEval, 'eval_accuracy'),
    rewardAccuracy: num(finalEval, 'eval_rewards/accuracies'),
    margin: num(finalEval, 'eval_rewards/margins'),
    logratioChosen: num(finalEval, 'eval_logratio/chosen'),
    logratioRejected: num(finalEval, 'eval_logratio/rejected'),
    pushedBelowRef: meanOf(history.filter((r) => typeof r.loss === 'number'), 'rejected_below_ref/with_gradient'),
    malformedBefore: before.malformed,
    malformedAfter: num(finalEval, 'eval_malformed'),
    repeatedBefore: before.repeated_ngrams,
    repeatedAfter: num(finalEval, 'eval_repeated_ngrams'),
  };
}

/** A cell: mean over seeds with its standard error (arena/stats). */
export type Spread = MeanSe;

export type NumericKey = Exclude<keyof RunSummary, 'method' | 'lrLabel' | 'seed'>;

/** One row of the table: a method at a learning rate, every number a mean over seeds with its standard error. */
export interface TableRow {
  method: string;
  lrLabel: string;
  learningRate: number;
  seeds: number;
  values: Record<NumericKey, Spread>;
}

const NUMERIC_KEYS: NumericKey[] = [
  'learningRate', 'accuracyBefore', 'accuracyAfter', 'rewardAccuracy', 'margin', 'logratioChosen', 'logratioRejected',
  'pushedBelowRef', 'malformedBefore', 'malformedAfter', 'repeatedBefore', 'repeatedAfter',
];

/**
 * Groups runs by (method, learning rate) and aggregates over seeds. Rows are ordered by method
 * (in `methods` order, else first appearance), then by learning rate ascending.
 */
export function tableRows(runs: readonly RunSummary[], methods?: readonly string[]): TableRow[] {
  const order = methods ?? [...new Set(runs.map((r) => r.method))];
  const groups = new Map<string, RunSummary[]>();
  for (const run of runs) {
    const key = `${run.method}\u0000${run.learningRate}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  const rows = [...groups.values()].map((group) => ({
    method: group[0]!.method,
    lrLabel: group[0]!.lrLabel,
    learningRate: group[0]!.learningRate,
    seeds: group.length,
    values: Object.fromEntries(NUMERIC_KEYS.map((k) => [k, meanSe(group.map((r) => r[k]))])) as Record<NumericKey, Spread>,
  }));
  const rank = (m: string) => (order.indexOf(m) >= 0 ? order.indexOf(m) : order.length);
  return rows.sort((a, b) => rank(a.method) - rank(b.method) || a.learningRate - b.learningRate);
}
