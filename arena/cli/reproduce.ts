/**
 * `prefopt reproduce [--profile quick|full|test] [--pairs close|on-policy] [--out DIR]
 * [--workers N] [--backend NAME]`: the MinorDPO paper's experiment in miniature (arena/reproduce).
 * `npm start` runs the quick profile. Running again into the same --out resumes. Nothing heavy is
 * imported until the command runs.
 */
import path from 'node:path';
import type { Command } from 'commander';

function timestamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

export function addReproduceCommand(program: Command): void {
  program
    .command('reproduce')
    .description('the MinorDPO paper in miniature: SFT a tiny model on arithmetic, then dpo, minor-dpo and dpop at a low and a high learning rate over several seeds; table with standard errors, paired comparisons, report.md, plots')
    .option('--profile <name>', 'experiment size: quick, full or test (quick: 3 seeds x 2 rates, about 10 minutes on 2 quiet cores; full: 5 seeds x 3 rates, a 0.7M model, one SFT model per seed)', 'quick')
    .option('--pairs <kind>', "preference pairs: 'close' (one wrong intermediate result) or 'on-policy' (sampled from the SFT model)")
    .option('--out <dir>', 'run folder (default runs/reproduce-<profile>-<time>); an existing one resumes')
    .option('--workers <n>', 'preference runs at once (default: the number of cores)')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu', 'auto')
    .action(async (options: { profile: string; pairs?: string; out?: string; workers?: string; backend: string }) => {
      const { UserError } = await import('../../core/index.ts');
      const { reproduce } = await import('../reproduce/index.ts');
      const { profileNamed } = await import('../reproduce/profiles.ts');
      profileNamed(options.profile);
      if (options.pairs !== undefined && options.pairs !== 'close' && options.pairs !== 'on-policy') throw new UserError(`--pairs expects 'close' or 'on-policy' (got '${options.pairs}')`);
      const workers = options.workers === undefined ? undefined : Number(options.workers);
      if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) throw new UserError(`--workers expects a positive integer (got '${options.workers}')`);
      const outDir = path.resolve(options.out ?? path.join('runs', `reproduce-${options.profile}-${timestamp()}`));
      await reproduce({ profile: options.profile, outDir, pairs: options.pairs as 'close' | 'on-policy' | undefined, backend: options.backend, workers });
    });
}
