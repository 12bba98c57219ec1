/**
 * What `prefopt losses` runs: the built-ins from the registry's listings (compiled: no plugin
 * module imported, no TensorFlow.js) and the third-party plugins named by --plugin.
 */
import type { LossListing } from '../../loss/describe.ts';
import { listLosses } from '../../loss/plugins.ts';

function formatParams(loss: LossListing): string {
  const entries = Object.entries(loss.params);
  if (entries.length === 0) return '-';
  return entries.map(([key, spec]) => `${key}=${JSON.stringify(spec.default ?? null)}`).join(' ');
}

/** The table `prefopt losses` prints. */
export function formatLossTable(losses: LossListing[]): string {
  const rows = losses.map((loss) => [loss.name, loss.aliases.join(', ') || '-', formatParams(loss), loss.referenceFree ? 'yes' : 'no', loss.description]);
  const header = ['NAME', 'ALIASES', 'PARAMS (defaults)', 'REF-FREE', 'DESCRIPTION'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ');
  return `${[header, ...rows].map(line).join('\n')}\n`;
}

export async function runLosses(options: { json?: boolean; plugin: string[] }): Promise<void> {
  const losses = await listLosses({ plugins: options.plugin });
  process.stdout.write(options.json ? `${JSON.stringify(losses, null, 2)}\n` : formatLossTable(losses));
}
