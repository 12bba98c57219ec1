/** `prefopt plot RUN_DIR`: draws a run's curves (loss, rewards, margins, accuracies, drift) as SVG files in RUN_DIR/plots/. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../errors.ts';
import { plotRun } from '../../train/run-plots.ts';

export function addPlotCommand(program: Command): void {
  program
    .command('plot')
    .description("draw a training run's curves as SVG plots in RUN_DIR/plots/")
    .argument('<run-dir>', 'run directory (the output of prefopt train, holding metrics.jsonl)')
    .action(async (runDir: string) => {
      const metrics = path.join(runDir, 'metrics.jsonl');
      if (!(await stat(metrics).then((s) => s.isFile(), () => false))) throw new UserError(`${runDir}: no metrics.jsonl (not a prefopt run directory)`);
      const files = await plotRun(runDir);
      if (files.length === 0) throw new UserError(`${metrics}: no metrics to plot yet`);
      process.stdout.write(`${files.join('\n')}\n`);
    });
}
