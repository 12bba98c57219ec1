import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lineChartSpec, renderSvg, writePlots, type LineChart, type SeriesPoint } from '../../core/report/plots.ts';

/** Two panels x two series x three seeds, plus a NaN point that must be dropped. */
function points(): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const panel of ['dpo', 'minor-dpo']) {
    for (const series of ['lr 1e-4 (low)', 'lr 2e-3 (high)']) {
      for (const seed of [1, 2, 3]) {
        for (let x = 0; x <= 20; x += 5) out.push({ x, y: x * (panel === 'dpo' ? -1 : 1) + seed, series, panel, seed });
      }
    }
  }
  out.push({ x: 25, y: Number.NaN, series: 'lr 1e-4 (low)', panel: 'dpo', seed: 1 });
  return out;
}

const chart = (extra: Partial<LineChart> = {}): LineChart => ({ title: 'Training loss', xTitle: 'step', yTitle: 'loss', seriesTitle: 'learning rate', points: points(), ...extra });

test('a chart renders to a standalone SVG document naming both panels and every series (legend)', async () => {
  const svg = await renderSvg(chart({ panels: ['dpo', 'minor-dpo'], perSeedLines: true }));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
  assert.match(svg, /<\/svg>$/);
  for (const name of ['Training loss', 'dpo', 'minor-dpo', 'lr 1e-4 (low)', 'lr 2e-3 (high)', 'learning rate']) assert.ok(svg.includes(name), `missing ${name}`);
  assert.ok(!svg.includes('NaN'));
  assert.equal((svg.match(/<svg/g) ?? []).length, 1);
  assert.equal((svg.match(/<g[\s>]/g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length, 'every opened group is closed');
});

test('with several seeds per x the spec draws the mean line, standard-error bars and (asked for) faint per-seed lines; panels share the y axis', () => {
  const spec = lineChartSpec(chart({ panels: ['minor-dpo', 'dpo'], perSeedLines: true })) as any;
  assert.equal(spec.facet.column.field, 'panel');
  assert.deepEqual(spec.facet.column.sort, ['minor-dpo', 'dpo']);
  assert.equal(spec.resolve.scale.y, 'shared');
  const [faint, mean, bars] = spec.spec.layer;
  assert.ok(faint.mark.opacity < 0.5);
  assert.equal(faint.encoding.detail.field, 'seed');
  assert.equal(mean.encoding.y.aggregate, 'mean');
  assert.equal(bars.mark.type, 'errorbar');
  assert.equal(bars.mark.extent, 'stderr');
  assert.equal(spec.data.values.length, points().length - 1, 'the NaN point is dropped');
});

test('one run without panels or seeds is a plain line chart: no facet, no error bars, no per-seed layer', () => {
  const single: SeriesPoint[] = [0, 1, 2].map((x) => ({ x, y: x * x, series: 'loss' }));
  const spec = lineChartSpec({ title: 'loss', xTitle: 'step', yTitle: 'loss', points: single }) as any;
  assert.equal(spec.facet, undefined);
  assert.equal(spec.layer.length, 1);
  assert.equal(spec.layer[0].mark.type, 'line');
});

test('a log x scale is passed through (accuracy against learning rate)', () => {
  const spec = lineChartSpec(chart({ xScale: 'log' })) as any;
  assert.equal(spec.spec.layer[0].encoding.x.scale.type, 'log');
});

test('writePlots writes one SVG file per chart', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-plots-'));
  const files = await writePlots(dir, { loss: chart(), accuracy: chart({ title: 'acc', yTitle: 'accuracy' }) });
  assert.deepEqual(files, ['loss.svg', 'accuracy.svg']);
  for (const file of files) assert.match(await readFile(path.join(dir, file), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
});
