/**
 * Loading loss plugins: the built-ins listed in registry.json, and third-party modules named by a
 * file path or a package name (`--plugin`, a config's `plugins: [...]`).
 *
 * A plugin module either default-exports a PreferenceLoss (or a list of them), or exports
 * `register(registry)`, which registers its losses into the registry it is given (for programs
 * that embed prefopt with a container of their own).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import type { PreferenceLoss } from './contract.ts';
import { LossRegistry } from './registry.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { UserError } from '../errors.ts';

/** One built-in plugin as registry.json lists it. */
export interface ManifestEntry {
  name: string;
  module: string;
  aliases: string[];
  summary: string;
}

const manifestSchema = {
  type: 'object',
  required: ['plugins'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    plugins: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'module', 'aliases', 'summary'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-z][a-z0-9-]*$' },
          module: { type: 'string', minLength: 1 },
          aliases: { type: 'array', items: { type: 'string', pattern: '^[a-z][a-z0-9_-]*$' } },
          summary: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;
const validateManifest = new Ajv({ allErrors: false }).compile(manifestSchema);

export const MANIFEST_PATH = path.join(PACKAGE_ROOT, 'registry.json');

/** The built-in plugin manifest, validated. */
export function readManifest(file = MANIFEST_PATH): ManifestEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: cannot read the plugin manifest: ${(error as Error).message}`);
  }
  if (!validateManifest(data)) {
    const e = validateManifest.errors![0]!;
    throw new UserError(`${file}: invalid plugin manifest at '${e.instancePath || '/'}': ${e.message}`);
  }
  return (data as { plugins: ManifestEntry[] }).plugins;
}

type PluginModule = { default?: unknown; register?: unknown };

async function importPlugin(specifier: string, baseDir: string): Promise<{ module: PluginModule; source: string }> {
  const isPath = /^(\.{1,2}[\\/]|\/)/.test(specifier) || /\.(ts|js|mjs|cjs|mts)$/.test(specifier);
  let resolved: string;
  try {
    resolved = isPath
      ? path.resolve(baseDir, specifier)
      : createRequire(path.join(baseDir, 'package.json')).resolve(specifier);
  } catch {
    throw new UserError(`cannot find plugin '${specifier}' (looked for a package of that name from ${baseDir})`);
  }
  try {
    const module = (await import(pathToFileURL(resolved).href)) as PluginModule;
    return { module, source: isPath ? resolved : specifier };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new UserError(`cannot load plugin '${specifier}': ${message}`);
  }
}

/**
 * Imports a plugin module and registers its losses. Returns the losses it added.
 * `baseDir` is where relative paths and package names are resolved from (default: cwd).
 */
export async function loadPlugin(
  specifier: string,
  registry: LossRegistry,
  baseDir = process.cwd(),
): Promise<PreferenceLoss<any>[]> {
  const { module, source } = await importPlugin(specifier, baseDir);
  const before = new Set(registry.list());
  if (typeof module.register === 'function') {
    try {
      await module.register(registry);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`plugin ${source}: register() failed: ${(error as Error).message}`);
    }
  } else if (module.default !== undefined) {
    const losses = Array.isArray(module.default) ? module.default : [module.default];
    for (const loss of losses) registry.register(loss as PreferenceLoss<any>, source);
  } else {
    throw new UserError(
      `plugin ${source} exports no loss: expected a default export (a PreferenceLoss or a list of them) or a register(registry) function`,
    );
  }
  return registry.list().filter((loss) => !before.has(loss));
}

/** Registers every built-in plugin of registry.json; checks each against its manifest entry. */
export async function loadBuiltinLosses(registry: LossRegistry, manifestFile = MANIFEST_PATH): Promise<void> {
  const baseDir = path.dirname(manifestFile);
  for (const entry of readManifest(manifestFile)) {
    const added = await loadPlugin(entry.module, registry, baseDir);
    const loss = added.find((l) => l.name === entry.name);
    const aliases = [...(loss?.aliases ?? [])].sort().join(',');
    if (!loss || aliases !== [...entry.aliases].sort().join(',')) {
      throw new UserError(
        `${manifestFile}: entry '${entry.name}' does not match module ${entry.module} (it registers ${added.map((l) => `${l.name} [${(l.aliases ?? []).join(', ')}]`).join(', ')})`,
      );
    }
  }
}

/** A registry holding the built-in losses and the given third-party plugins. */
export async function createLossRegistry(options: { plugins?: string[]; baseDir?: string; registry?: LossRegistry } = {}): Promise<LossRegistry> {
  const registry = options.registry ?? new LossRegistry();
  await loadBuiltinLosses(registry);
  for (const plugin of options.plugins ?? []) await loadPlugin(plugin, registry, options.baseDir);
  return registry;
}
