/**
 * The plotted series, taken from each run's metrics.jsonl: training loss, rewards/chosen,
 * rewards/rejected (training lines), test accuracy and malformed answers (evaluation lines, with
 * the SFT model's value at step 0).
 */
import type { LineChart, SeriesPoint } from '../../core/index.ts';
import type { MetricsRecord, RunSummary } from './summary.ts';

export interface PlottedRun {
  summary: RunSummary;
  history: readonly MetricsRecord[];
  /** The SFT model's test accuracy (step 0 of the accuracy plot). */
  sftAccuracy: number;
}

function points(runs: readonly PlottedRun[], key: string, name: (run: RunSummary) => string, start?: (run: PlottedRun) => number): SeriesPoint[] {
  return runs.flatMap((run) => {
    const tag = { panel: run.summary.method, series: name(run.summary), seed: run.summary.seed };
    const first = start ? [{ x: 0, y: start(run), ...tag }] : [];
    const logged = run.history
      .filter((r) => typeof r[key] === 'number')
      .map((r) => ({ x: r.step, y: r[key] as number, ...tag }));
    return [...first, ...logged];
  });
}

/** The report's charts, by file name (without .svg). */
export function buildPlots(
  runs: readonly PlottedRun[],
  methods: readonly string[],
  lrName: (lr: { label: string; value: number }) => string,
): Record<string, LineChart> {
  const name = (s: RunSummary) => lrName({ label: s.lrLabel, value: s.learningRate });
  const chart = (title: string, yTitle: string, key: string, start?: (run: PlottedRun) => number): LineChart => ({
    title,
    xTitle: 'step',
    yTitle,
    seriesTitle: 'learning rate',
    points: points(runs, key, name, start),
    panels: [...methods],
    perSeedLines: true,
  });
  return {
    loss: chart('Training loss', 'loss', 'loss'),
    'rewards-chosen': chart('rewards/chosen (beta * log-ratio of the chosen answer, training batches)', 'rewards/chosen', 'rewards/chosen'),
    'rewards-rejected': chart('rewards/rejected (beta * log-ratio of the rejected answer, training batches)', 'rewards/rejected', 'rewards/rejected'),
    accuracy: chart('Test accuracy (exact match of greedy answers; step 0 = the SFT model; points during training use a subset)', 'accuracy', 'eval_accuracy', (r) => r.sftAccuracy),
    malformed: chart('Malformed test answers (no "#### N" + EOS; step 0 = the SFT model)', 'fraction malformed', 'eval_malformed', (r) => r.summary.malformedBefore),
  };
}
