/**
 * The comparison's charts, drawn with the library's plots (core/report/plots.ts): test accuracy
 * against learning rate per method (mean over seeds with standard-error bars, the SFT model as a
 * reference line), and curves over training steps from each run's metrics.jsonl — the drift of
 * chosen and rejected log-probs from the reference and the loss — one panel per method, one colour
 * per learning rate, the mean line over faint per-seed lines.
 */
import type { LineChart, SeriesPoint } from '../../core/index.ts';
import type { MetricsRecord, RunSummary } from './summary.ts';

export interface PlottedRun {
  summary: RunSummary;
  history: readonly MetricsRecord[];
}

function curve(runs: readonly PlottedRun[], key: string): SeriesPoint[] {
  return runs.flatMap((run) => run.history
    .filter((r) => typeof r.loss === 'number' && typeof r[key] === 'number')
    .map((r) => ({ x: r.step, y: r[key] as number, panel: run.summary.method, series: `lr ${run.summary.lrLabel}`, seed: run.summary.seed })));
}

/** The charts, by file name (without .svg). */
export function buildPlots(runs: readonly PlottedRun[], sftModels: readonly { seed: number; accuracy: number }[], methods: readonly string[]): Record<string, LineChart> {
  const rates = [...new Set(runs.map((r) => r.summary.learningRate))].sort((a, b) => a - b);
  const accuracy: SeriesPoint[] = [
    ...runs.map((r) => ({ x: r.summary.learningRate, y: 100 * r.summary.accuracyAfter, series: r.summary.method, seed: r.summary.seed })),
    ...rates.flatMap((lr) => sftModels.map((m) => ({ x: lr, y: 100 * m.accuracy, series: 'SFT model', ...(sftModels.length > 1 ? { seed: m.seed } : {}) }))),
  ];
  const lrOrder = [...new Set([...runs].sort((a, b) => a.summary.learningRate - b.summary.learningRate).map((r) => `lr ${r.summary.lrLabel}`))];
  const steps = (title: string, yTitle: string, key: string): LineChart => ({
    title, xTitle: 'step', yTitle, seriesTitle: 'learning rate', points: curve(runs, key), panels: [...methods], series: lrOrder, perSeedLines: true, errorBars: false,
  });
  return {
    'accuracy-vs-lr': {
      title: 'Test accuracy after preference training (mean ± standard error over seeds)',
      xTitle: 'learning rate', yTitle: 'test accuracy %', seriesTitle: 'method', xScale: 'log',
      points: accuracy, series: [...methods, 'SFT model'], errorBars: true,
    },
    'drift-chosen': steps('Drift of the chosen answers: log pi - log pi_ref (nats, training batches; faint: each seed)', 'logratio/chosen', 'logratio/chosen'),
    'drift-rejected': steps('Drift of the rejected answers: log pi - log pi_ref (nats, training batches; faint: each seed)', 'logratio/rejected', 'logratio/rejected'),
    loss: steps('Training loss (faint: each seed)', 'loss', 'loss'),
  };
}
