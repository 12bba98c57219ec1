/**
 * `prefopt reproduce [--profile quick|full|test] [--out DIR] [--backend NAME]`: the MinorDPO
 * paper's experiment in miniature (arena/reproduce). `npm start` runs the quick profile.
 * Nothing heavy is imported until the command runs.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { BackendConfig } from '../../core/index.ts';

function timestamp(date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

export function addReproduceCommand(program: Command): void {
  program
    .command('reproduce')
    .description('the MinorDPO paper in miniature: SFT a tiny model on arithmetic, then DPO vs MinorDPO at a low and a high learning rate; writes report.md, metrics and SVG plots')
    .option('--profile <name>', 'experiment size: quick, full or test (quick: under 10 minutes on 2 cores)', 'quick')
    .option('--out <dir>', 'run folder (default runs/reproduce-<profile>-<time>)')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu', 'auto')
    .action(async (options: { profile: string; out?: string; backend: string }) => {
      const { UserError, BACKEND_NAMES } = await import('../../core/index.ts');
      const { profileNamed } = await import('../reproduce/profiles.ts');
      const { reproduce } = await import('../reproduce/experiment.ts');
      const profile = profileNamed(options.profile);
      if (options.backend !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(options.backend)) {
        throw new UserError(`--backend expects auto or one of ${BACKEND_NAMES.join(', ')} (got '${options.backend}')`);
      }
      const outDir = path.resolve(options.out ?? path.join('runs', `reproduce-${profile.name}-${timestamp()}`));
      await reproduce({ profile, outDir, backend: options.backend as BackendConfig });
    });
}
