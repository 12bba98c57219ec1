/** `prefopt losses [--json]`: every registered loss with its aliases, params and defaults. */
import type { Command } from 'commander';
import { collect } from '../options.ts';

export function addLossesCommand(program: Command): void {
  program
    .command('losses')
    .description('list every registered loss: name, aliases, params with defaults, reference-free')
    .option('--json', 'print JSON instead of a table')
    .option('--plugin <path>', 'load a third-party loss plugin (repeatable)', collect, [])
    .action(async (options: { json?: boolean; plugin: string[] }) => (await import('../actions/losses.ts')).runLosses(options));
}
