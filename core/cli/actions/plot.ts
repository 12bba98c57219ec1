/** What `prefopt plot RUN_DIR` runs (defined in commands/plot.ts). */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../errors.ts';
import { plotRun } from '../../train/run-plots.ts';

export async function runPlot(runDir: string): Promise<void> {
  const metrics = path.join(runDir, 'metrics.jsonl');
  if (!(await stat(metrics).then((s) => s.isFile(), () => false))) throw new UserError(`${runDir}: no metrics.jsonl (not a prefopt run directory)`);
  const files = await plotRun(runDir);
  if (files.length === 0) throw new UserError(`${metrics}: no metrics to plot yet`);
  process.stdout.write(`${files.join('\n')}\n`);
}
