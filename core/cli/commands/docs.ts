/** `prefopt docs losses [--out FILE] [--plugin PATH ...]`: the loss catalogue as Markdown. */
import type { Command } from 'commander';
import { collect } from '../options.ts';

export function addDocsCommand(program: Command): void {
  const docs = program.command('docs').description('generate documentation from the registry');
  docs
    .command('losses')
    .description('the loss catalogue (docs/losses.md): formulas, params, papers, invariants')
    .option('--out <file>', 'write to FILE (atomically) instead of stdout')
    .option('--plugin <path>', 'include a third-party loss plugin (repeatable)', collect, [])
    .action(async (options: { out?: string; plugin: string[] }) => {
      const [{ createLossRegistry }, { renderLossCatalogue }, { writeOutput }] = await Promise.all([
        import('../../loss/plugins.ts'),
        import('../../report/loss-catalogue.ts'),
        import('../output.ts'),
      ]);
      const registry = await createLossRegistry({ plugins: options.plugin });
      await writeOutput(renderLossCatalogue(registry.list()), options.out);
    });
}
