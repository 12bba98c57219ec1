/** `prefopt docs losses [--out FILE] [--plugin PATH ...]`: the loss catalogue as Markdown. */
import type { Command } from 'commander';
import { createLossRegistry } from '../../loss/index.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import { renderLossCatalogue } from '../../report/loss-catalogue.ts';
import { collect } from '../options.ts';

export function addDocsCommand(program: Command): void {
  const docs = program.command('docs').description('generate documentation from the registry');
  docs
    .command('losses')
    .description('the loss catalogue (docs/losses.md): formulas, params, papers, invariants')
    .option('--out <file>', 'write to FILE (atomically) instead of stdout')
    .option('--plugin <path>', 'include a third-party loss plugin (repeatable)', collect, [])
    .action(async (options: { out?: string; plugin: string[] }) => {
      const registry = await createLossRegistry({ plugins: options.plugin });
      const text = renderLossCatalogue(registry.list());
      if (options.out) await writeFileAtomic(options.out, text);
      else process.stdout.write(text);
    });
}
