/**
 * Line charts as SVG: a Vega-Lite spec built from plain points, compiled by `vega-lite` and rendered
 * headless by `vega`'s `View.toSVG()` (no browser, no canvas). The only module that touches vega;
 * it loads vega lazily, so importing the library does not pay for it.
 *
 * A chart is a set of points (x, y) tagged with a series (one colour each), optionally a panel
 * (charts side by side, shared y axis) and a seed (a replicate). With seeds, each series is drawn
 * as its mean over seeds, with error bars (mean +- standard error) and, optionally, one faint line
 * per seed; without, as a plain line.
 */
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';

/** One point of a chart. */
export interface SeriesPoint {
  x: number;
  y: number;
  /** The line it belongs to (legend entry), e.g. `lr 3e-4`. */
  series: string;
  /** The panel it is drawn in (e.g. a method); charts without panels omit it. */
  panel?: string;
  /** The replicate it comes from; points of one series at one x are averaged over seeds. */
  seed?: number;
}

export interface LineChart {
  title: string;
  xTitle: string;
  yTitle: string;
  points: SeriesPoint[];
  /** Legend title (default 'series'). */
  seriesTitle?: string;
  /** Panel order; default: first appearance. */
  panels?: string[];
  /** Series order (legend and colours); default: first appearance. */
  series?: string[];
  /** 'log' for e.g. learning rates (default 'linear'). */
  xScale?: 'linear' | 'log';
  /** Error bars of mean +- standard error over seeds (default: true when some x has several seeds). */
  errorBars?: boolean;
  /** One faint line per seed under the mean line (default false). */
  perSeedLines?: boolean;
  /** Panel size in pixels (default 260 x 180). */
  width?: number;
  height?: number;
}

/** Whether some (panel, series, x) has more than one point: then lines show means. */
function hasReplicates(points: readonly SeriesPoint[]): boolean {
  const seen = new Set<string>();
  for (const p of points) {
    const key = `${p.panel ?? ''}\u0000${p.series}\u0000${p.x}`;
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

/** The Vega-Lite spec of a chart (pure: the tests inspect it). */
export function lineChartSpec(chart: LineChart): TopLevelSpec {
  const values = chart.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).map((p) => ({ ...p, panel: p.panel ?? '', seed: p.seed ?? 0 }));
  const panels = chart.panels ?? [...new Set(values.map((p) => p.panel))];
  const seriesOrder = chart.series ?? [...new Set(values.map((p) => p.series))];
  const replicated = hasReplicates(chart.points);
  const x = { field: 'x', type: 'quantitative', title: chart.xTitle, scale: chart.xScale === 'log' ? { type: 'log' } : { type: 'linear', zero: false } };
  const color = { field: 'series', type: 'nominal', title: chart.seriesTitle ?? 'series', sort: seriesOrder };
  const layers: unknown[] = [];
  if (chart.perSeedLines) {
    layers.push({
      mark: { type: 'line', opacity: 0.25, strokeWidth: 1 },
      encoding: { x, y: { field: 'y', type: 'quantitative', title: chart.yTitle }, color, detail: { field: 'seed', type: 'nominal' } },
    });
  }
  layers.push({
    mark: { type: 'line', point: true },
    encoding: { x, y: { aggregate: 'mean', field: 'y', type: 'quantitative', title: chart.yTitle }, color },
  });
  if (chart.errorBars ?? replicated) {
    layers.push({
      mark: { type: 'errorbar', extent: 'stderr', ticks: true },
      encoding: { x, y: { field: 'y', type: 'quantitative', title: chart.yTitle }, color },
    });
  }
  const inner = { width: chart.width ?? 260, height: chart.height ?? 180, layer: layers };
  const faceted = panels.length > 1 || (panels.length === 1 && panels[0] !== '');
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title: chart.title, data: { values }, config: { font: 'sans-serif' } };
  const spec = faceted
    ? {
      ...base,
      facet: { column: { field: 'panel', type: 'nominal', sort: panels, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
      spec: inner,
      resolve: { scale: { y: 'shared' } },
    }
    : { ...base, ...inner };
  return spec as TopLevelSpec;
}

/** Renders a chart to an SVG string (headless). */
export async function renderSvg(chart: LineChart): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(lineChartSpec(chart)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes each chart as `<name>.svg` in `dir`; returns the file names in order. */
export async function writePlots(dir: string, charts: Record<string, LineChart>): Promise<string[]> {
  const names: string[] = [];
  for (const [name, chart] of Object.entries(charts)) {
    await writeFileAtomic(path.join(dir, `${name}.svg`), await renderSvg(chart));
    names.push(`${name}.svg`);
  }
  return names;
}
