import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lineChartSpec, renderSvg, writePlots, type SeriesPoint } from '../../core/reproduce/plots.ts';

function points(): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const method of ['dpo', 'minor-dpo']) {
    for (const series of ['lr 1e-4 (low)', 'lr 2e-3 (high)']) {
      for (let step = 0; step <= 20; step += 5) out.push({ step, value: step * (method === 'dpo' ? -1 : 1), method, series, seed: 1 });
    }
  }
  out.push({ step: 25, value: Number.NaN, method: 'dpo', series: 'lr 1e-4 (low)', seed: 1 }); // dropped, not plotted as NaN
  return out;
}

test('a chart renders to a standalone SVG document naming both methods (panels) and every series (legend)', async () => {
  const svg = await renderSvg({ title: 'Training loss', yTitle: 'loss', points: points(), methods: ['dpo', 'minor-dpo'] });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
  assert.match(svg, /<\/svg>$/);
  for (const name of ['Training loss', 'dpo', 'minor-dpo', 'lr 1e-4 (low)', 'lr 2e-3 (high)', 'learning rate']) assert.ok(svg.includes(name), `missing ${name}`);
  assert.ok(!svg.includes('NaN'));
  assert.equal((svg.match(/<svg/g) ?? []).length, 1);
  // Balanced elements: every opened group is closed.
  assert.equal((svg.match(/<g[\s>]/g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length);
});

test('the Vega-Lite spec puts methods side by side with a shared y axis and averages seeds', () => {
  const spec = lineChartSpec({ title: 't', yTitle: 'y', points: points(), methods: ['minor-dpo', 'dpo'] }) as any;
  assert.equal(spec.facet.column.field, 'method');
  assert.deepEqual(spec.facet.column.sort, ['minor-dpo', 'dpo']);
  assert.equal(spec.spec.encoding.y.aggregate, 'mean');
  assert.equal(spec.resolve.scale.y, 'shared');
  assert.equal(spec.data.values.length, points().length - 1);
});

test('writePlots writes one SVG file per chart', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-plots-'));
  const files = await writePlots(dir, { loss: { title: 'loss', yTitle: 'loss', points: points() }, accuracy: { title: 'acc', yTitle: 'accuracy', points: points() } });
  assert.deepEqual(files, ['loss.svg', 'accuracy.svg']);
  for (const file of files) assert.match(await readFile(path.join(dir, file), 'utf8'), /^<svg[\s\S]*<\/svg>$/);
});
