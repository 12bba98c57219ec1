/** `prefopt plot RUN_DIR`: draws a run's curves (loss, rewards, margins, accuracies, drift) as SVG files in RUN_DIR/plots/. */
import type { Command } from 'commander';

export function addPlotCommand(program: Command): void {
  program
    .command('plot')
    .description("draw a training run's curves as SVG plots in RUN_DIR/plots/")
    .argument('<run-dir>', 'run directory (the output of prefopt train, holding metrics.jsonl)')
    .action(async (runDir: string) => (await import('../actions/plot.ts')).runPlot(runDir));
}
