/** A run's curves: which charts come from which metrics, and `prefopt plot RUN_DIR` writing them as SVG. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCharts } from '../../core/train/run-plots.ts';
import { runCli } from '../helpers/cli.ts';

const LINES = [
  { step: 1, loss: 0.69, 'rewards/chosen': 0.01, 'rewards/rejected': -0.01, 'rewards/margins': 0.02, 'rewards/accuracies': 0.5, mean_token_accuracy: 0.1, 'logps/chosen': -20, 'logps/rejected': -21, 'logratio/chosen': 0.1, num_tokens: 100 },
  { step: 2, loss: 0.6, 'rewards/chosen': 0.05, 'rewards/rejected': -0.05, 'rewards/margins': 0.1, 'rewards/accuracies': 0.75, mean_token_accuracy: 0.2, 'logps/chosen': -19, 'logps/rejected': -23, 'logratio/chosen': 0.5, num_tokens: 200 },
  { step: 2, eval_loss: 0.65, 'eval_rewards/margins': 0.05 },
];

test('runCharts: one chart per metric group, training and eval_ metrics as separate series, absent groups left out', () => {
  const charts = runCharts(LINES);
  assert.deepEqual(Object.keys(charts), ['loss', 'rewards', 'margins', 'accuracy', 'logps', 'drift']);
  assert.deepEqual([...new Set(charts.loss!.points.map((p) => p.series))], ['loss', 'loss (eval)']);
  assert.deepEqual(charts.loss!.points.map((p) => [p.x, p.y]), [[1, 0.69], [2, 0.6], [2, 0.65]]);
  assert.deepEqual([...new Set(charts.margins!.points.map((p) => p.series))], ['rewards/margins', 'rewards/margins (eval)']);
  assert.deepEqual([...new Set(charts.accuracy!.points.map((p) => p.series))], ['rewards/accuracies', 'mean_token_accuracy']);
  assert.deepEqual(Object.keys(runCharts([{ step: 1, loss: 2.3, mean_token_accuracy: 0.4 }])), ['loss', 'accuracy']); // SFT
});

test('prefopt plot RUN_DIR writes the SVG curves into RUN_DIR/plots; a directory without metrics is a one-line error', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-plot-'));
  await writeFile(path.join(dir, 'metrics.jsonl'), LINES.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const result = runCli(['plot', dir]);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual((await readdir(path.join(dir, 'plots'))).sort(), ['accuracy.svg', 'drift.svg', 'logps.svg', 'loss.svg', 'margins.svg', 'rewards.svg']);
  const svg = await readFile(path.join(dir, 'plots', 'loss.svg'), 'utf8');
  assert.match(svg, /^<svg[\s\S]*Loss[\s\S]*<\/svg>$/);
  const missing = runCli(['plot', path.join(dir, 'plots')]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /no metrics\.jsonl \(not a prefopt run directory\)/);
});
