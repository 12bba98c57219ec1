/**
 * `prefopt compare --config FILE [--out DIR] [--workers N]`: compares the losses a config lists
 * (built-in or from its plugins) x learning rates x seeds on the arithmetic task, in parallel, with
 * mean ± standard error per cell and paired comparisons (arena/compare). Running again into the
 * same folder resumes, skipping finished runs. Nothing heavy is imported until the command runs.
 */
import path from 'node:path';
import type { Command } from 'commander';

export function addCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('compare preference losses (built-in or plugins) x learning rates x seeds on the arithmetic task: table with standard errors, paired bootstrap comparisons, plots, report.md, results.json')
    .requiredOption('--config <file>', 'comparison config (YAML or JSON): losses, learningRates, seeds, task, sft, preference, plugins')
    .option('--out <dir>', "output folder (default: the config's output, else runs/compare-<name>); an existing one resumes")
    .option('--workers <n>', 'runs at once (default: the config\'s workers, else the number of cores)')
    .action(async (options: { config: string; out?: string; workers?: string }) => {
      const { UserError } = await import('../../core/index.ts');
      const { loadCompareConfig } = await import('../compare/config.ts');
      const { runComparison } = await import('../compare/run.ts');
      const workers = options.workers === undefined ? undefined : Number(options.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) throw new UserError(`--workers expects a positive integer (got '${options.workers}')`);
      const { config } = await loadCompareConfig(options.config);
      const outDir = path.resolve(options.out ?? config.output ?? path.join('runs', `compare-${config.name}`));
      await runComparison({ config, outDir, workers });
    });
}
