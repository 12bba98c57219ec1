/**
 * Plots as SVG: a Vega-Lite spec compiled with `vega-lite` and rendered headless by `vega`'s
 * `View.toSVG()` (no browser, no canvas). Each plot puts the methods side by side (one panel per
 * method, shared y axis) with one line per learning rate, averaged over seeds.
 */
import path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';

/** One point of a series: a metric at a step of one run. */
export interface SeriesPoint {
  step: number;
  value: number;
  method: string;
  /** The series' name in the legend, e.g. `lr 2e-3 (high)`. */
  series: string;
  seed: number;
}

export interface LineChart {
  title: string;
  yTitle: string;
  points: SeriesPoint[];
  /** Panel order (methods); default: first appearance. */
  methods?: string[];
}

/** The Vega-Lite spec of a chart. */
export function lineChartSpec(chart: LineChart): vl.TopLevelSpec {
  const methods = chart.methods ?? [...new Set(chart.points.map((p) => p.method))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    data: { values: chart.points.filter((p) => Number.isFinite(p.value)) },
    facet: { column: { field: 'method', type: 'nominal', sort: methods, title: null, header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'step', type: 'quantitative', title: 'step' },
        y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: chart.yTitle },
        color: { field: 'series', type: 'nominal', title: 'learning rate' },
      },
    },
    resolve: { scale: { y: 'shared' } },
    config: { font: 'sans-serif' },
  } as vl.TopLevelSpec;
}

/** Renders a chart to an SVG string (headless). */
export async function renderSvg(chart: LineChart): Promise<string> {
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
