/**
 * `prefopt config schema [--out FILE] [--plugin PATH ...]`: the JSON Schema of run configs (every
 *   registered loss's params included), for editors' autocompletion.
 * `prefopt config check --config FILE [--set key=value ...]`: validates a config and prints it resolved.
 * `prefopt config docs [--out FILE]`: the config reference (docs/config.md), generated from the schema.
 */
import type { Command } from 'commander';
import { collect } from '../options.ts';

export function addConfigCommand(program: Command): void {
  const config = program.command('config').description('run configs: JSON Schema, validation, reference docs');
  config
    .command('schema')
    .description('write the JSON Schema of run configs (for $schema / editor autocompletion)')
    .option('--out <file>', 'output file (default: stdout)')
    .option('--plugin <path>', 'include a third-party loss plugin (repeatable)', collect, [])
    .action(async (options: { out?: string; plugin: string[] }) => {
      const [{ buildConfigSchema }, { createLossRegistry }, { writeOutput }] = await Promise.all([
        import('../../config/schema.ts'),
        import('../../loss/plugins.ts'),
        import('../output.ts'),
      ]);
      const registry = await createLossRegistry({ plugins: options.plugin });
      await writeOutput(`${JSON.stringify(buildConfigSchema(registry), null, 2)}\n`, options.out);
    });
  config
    .command('check')
    .description('validate a config file and print it resolved (defaults filled, paths absolute)')
    .requiredOption('--config <file>', 'YAML or JSON config')
    .option('--set <key=value>', 'override a key, e.g. --set loss.beta=0.2 (repeatable)', collect, [])
    .action(async (options: { config: string; set: string[] }) => {
      const { loadConfig } = await import('../../config/load.ts');
      const { config: resolved } = await loadConfig(options.config, { overrides: options.set });
      process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
    });
  config
    .command('docs')
    .description('write the config reference (docs/config.md) generated from the schema')
    .option('--out <file>', 'output file (default: stdout)')
    .action(async (options: { out?: string }) => {
      const [{ renderConfigDocs }, { writeOutput }] = await Promise.all([import('../../config/docs.ts'), import('../output.ts')]);
      await writeOutput(renderConfigDocs(), options.out);
    });
}
