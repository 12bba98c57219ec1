/**
 * The curves of a training run, drawn from its metrics.jsonl as SVG line charts (core/report/plots.ts)
 * in RUN_DIR/plots/: loss, rewards, margins, accuracies, log-probs and the reference-drift metrics,
 * training lines and evaluations (`eval_*`) as separate series. A chart whose metrics the run did
 * not log (SFT has no rewards) is left out.
 */
import path from 'node:path';
import { writePlots, type LineChart, type SeriesPoint } from '../report/plots.ts';
import { MetricsLog } from './run-dir.ts';

/** Each chart: its title, y axis and which metric names (without `eval_`) it draws. */
const CHARTS: Array<{ name: string; title: string; yTitle: string; metrics: (key: string) => boolean }> = [
  { name: 'loss', title: 'Loss', yTitle: 'loss', metrics: (k) => k === 'loss' },
  { name: 'rewards', title: 'Implicit rewards', yTitle: 'reward', metrics: (k) => k === 'rewards/chosen' || k === 'rewards/rejected' },
  { name: 'margins', title: 'Reward margin (chosen - rejected)', yTitle: 'margin', metrics: (k) => k === 'rewards/margins' },
  { name: 'accuracy', title: 'Accuracies', yTitle: 'fraction', metrics: (k) => k === 'rewards/accuracies' || k === 'mean_token_accuracy' },
  { name: 'logps', title: 'Policy log-probs of the completions', yTitle: 'log-prob (sum)', metrics: (k) => k === 'logps/chosen' || k === 'logps/rejected' },
  { name: 'drift', title: 'Drift from the reference', yTitle: 'value', metrics: (k) => k.startsWith('logratio/') || k.startsWith('rejected_below_ref/') },
];

/** The charts of a run's metrics lines (pure: the tests inspect them). */
export function runCharts(lines: ReadonlyArray<Record<string, unknown>>): Record<string, LineChart> {
  const charts: Record<string, LineChart> = {};
  for (const chart of CHARTS) {
    const points: SeriesPoint[] = [];
    for (const line of lines) {
      if (typeof line.step !== 'number') continue;
      for (const [key, value] of Object.entries(line)) {
        const metric = key.replace(/^eval_/, '');
        if (typeof value !== 'number' || !chart.metrics(metric)) continue;
        points.push({ x: line.step, y: value, series: key.startsWith('eval_') ? `${metric} (eval)` : metric });
      }
    }
    if (points.length > 0) charts[chart.name] = { title: chart.title, xTitle: 'step', yTitle: chart.yTitle, seriesTitle: 'metric', points };
  }
  return charts;
}

/** Draws the curves of the run in `runDir` into runDir/plots/; returns the written files. */
export async function plotRun(runDir: string): Promise<string[]> {
  const lines = await new MetricsLog(path.join(runDir, 'metrics.jsonl')).read();
  const dir = path.join(runDir, 'plots');
  return (await writePlots(dir, runCharts(lines))).map((name) => path.join(dir, name));
}
