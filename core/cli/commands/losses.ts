/** `prefopt losses [--json]`: every registered loss with its aliases, params and defaults. */
import type { Command } from 'commander';
import { createLossRegistry, type PreferenceLoss } from '../../loss/index.ts';
import { collect } from '../options.ts';

/** The JSON description of a loss, as `prefopt losses --json` prints it. */
export function describeLoss(loss: PreferenceLoss<any>) {
  return {
    name: loss.name,
    aliases: loss.aliases ?? [],
    description: loss.description,
    formula: loss.formula,
    paper: loss.paper,
    requiresReference: loss.requiresReference,
    referenceFree: !loss.requiresReference,
    params: Object.fromEntries(
      Object.entries(loss.paramsSchema.properties).map(([key, spec]) => [key, { ...spec }]),
    ),
    invariants: (loss.invariants ?? []).map((invariant) => invariant.kind),
  };
}

function formatParams(loss: PreferenceLoss<any>): string {
  const entries = Object.entries(loss.paramsSchema.properties);
  if (entries.length === 0) return '-';
  return entries.map(([key, spec]) => `${key}=${JSON.stringify(spec.default ?? null)}`).join(' ');
}

export function addLossesCommand(program: Command): void {
  program
    .command('losses')
    .description('list every registered loss: name, aliases, params with defaults, reference-free')
    .option('--json', 'print JSON instead of a table')
    .option('--plugin <path>', 'load a third-party loss plugin (repeatable)', collect, [])
    .action(async (options: { json?: boolean; plugin: string[] }) => {
      const registry = await createLossRegistry({ plugins: options.plugin });
      const losses = registry.list();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(losses.map(describeLoss), null, 2)}\n`);
        return;
      }
      const rows = losses.map((loss) => [
        loss.name,
        (loss.aliases ?? []).join(', ') || '-',
        formatParams(loss),
        loss.requiresReference ? 'no' : 'yes',
        loss.description,
      ]);
      const header = ['NAME', 'ALIASES', 'PARAMS (defaults)', 'REF-FREE', 'DESCRIPTION'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
      process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
    });
}
