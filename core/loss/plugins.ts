/**
 * Loading loss plugins: the built-ins listed in registry.json, and third-party modules named by a
 * file path or a package name (`--plugin`, a config's `plugins: [...]`).
 *
 * A plugin module either default-exports a PreferenceLoss (or a list of them), or exports
 * `register(registry)`, which registers its losses into the registry it is given (for programs
 * that embed prefopt with a container of their own).
 *
 * Compiled (`npm run build`), prefopt reads dist/registry.json instead: the same entries with
 * module paths of the compiled plugins and each loss's listing, so that `prefopt losses` and a
 * command that needs one loss import no other plugin module (and no TensorFlow.js for a list).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import type { PreferenceLoss } from './contract.ts';
import { describeLoss, type LossListing } from './describe.ts';
import { shareHostModules } from './host-modules.ts';
import { LossRegistry } from './registry.ts';
import { DIST_DIR, PACKAGE_ROOT, RUNNING_COMPILED } from '../paths.ts';
import { UserError } from '../errors.ts';

/** One built-in plugin as registry.json lists it. */
export interface ManifestEntry {
  name: string;
  module: string;
  aliases: string[];
  summary: string;
  /** What `prefopt losses` prints for it: only in the built registry (dist/registry.json). */
  listing?: LossListing;
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
          listing: { type: 'object' },
        },
      },
    },
  },
} as const;
const validateManifest = new Ajv({ allErrors: false }).compile(manifestSchema);

/** registry.json, or its compiled twin dist/registry.json when running compiled. */
export const MANIFEST_PATH = path.join(RUNNING_COMPILED ? DIST_DIR : PACKAGE_ROOT, 'registry.json');

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

/** Whether a plugin specifier names a file (`./x.ts`, `/abs/x.js`, `x.mjs`) rather than a package. */
export function isPluginPath(specifier: string): boolean {
  return /^(\.{1,2}[\\/]|\/)|\.(ts|js|mjs|cjs|mts|cts)$/.test(specifier);
}

/** Whether a file is one of prefopt's own modules (a built-in plugin), which need no shared-module hook. */
function isOwnModule(file: string): boolean {
  const relative = path.relative(PACKAGE_ROOT, file);
  return !relative.startsWith('..') && !relative.split(path.sep).includes('node_modules') && /^(dist[\\/])?(plugins|core)[\\/]/.test(relative);
}

let typeScriptLoader: Promise<void> | undefined;

/**
 * Registers tsx's loaders (ESM and CommonJS) so a TypeScript plugin can be imported. Run from the
 * sources, prefopt itself runs under tsx already; compiled, tsx is loaded only for such a plugin.
 */
function loadTypeScript(): Promise<void> {
  typeScriptLoader ??= (async () => {
    const [{ register: registerEsm }, { register: registerCommonJs }] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
    registerCommonJs();
    registerEsm();
  })();
  return typeScriptLoader;
}

/**
 * A plugin whose import never settles (a top-level await on a promise nothing will resolve)
 * leaves the event loop empty while prefopt waits for it: Node would end the process silently
 * (or with status 13). Say which plugin, and exit 1.
 */
function reportUnsettledImport(specifier: string): () => void {
  return () => {
    process.stderr.write(`prefopt: plugin '${specifier}' never finished loading (its top-level await never settles)\n`);
    process.exit(1);
  };
}

async function importPlugin(specifier: string, baseDir: string): Promise<{ module: PluginModule; source: string }> {
  const isPath = isPluginPath(specifier);
  let resolved: string;
  try {
    resolved = isPath
      ? path.resolve(baseDir, specifier)
      : createRequire(path.join(baseDir, 'package.json')).resolve(specifier);
  } catch {
    throw new UserError(`cannot find plugin '${specifier}' (looked for a package of that name from ${baseDir})`);
  }
  if (RUNNING_COMPILED && /\.[mc]?ts$/.test(resolved)) await loadTypeScript();
  if (!isOwnModule(resolved)) shareHostModules();
  const unsettled = reportUnsettledImport(specifier);
  process.prependListener('beforeExit', unsettled);
  try {
    const module = (await import(pathToFileURL(resolved).href)) as PluginModule;
    return { module, source: isPath ? resolved : specifier };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    throw new UserError(`cannot load plugin '${specifier}': ${message}`, { cause: error });
  } finally {
    process.off('beforeExit', unsettled);
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
      throw new UserError(`plugin ${source}: register() failed: ${(error as Error).message}`, { cause: error });
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

/** Imports one manifest entry's module into `registry` and checks that it registers what the entry says. */
async function loadManifestEntry(entry: ManifestEntry, registry: LossRegistry, manifestFile: string): Promise<void> {
  const added = await loadPlugin(entry.module, registry, path.dirname(manifestFile));
  const loss = added.find((l) => l.name === entry.name);
  const aliases = [...(loss?.aliases ?? [])].sort().join(',');
  if (!loss || aliases !== [...entry.aliases].sort().join(',')) {
    throw new UserError(
      `${manifestFile}: entry '${entry.name}' does not match module ${entry.module} (it registers ${added.map((l) => `${l.name} [${(l.aliases ?? []).join(', ')}]`).join(', ')})`,
    );
  }
}

/** Registers every built-in plugin of registry.json; checks each against its manifest entry. */
export async function loadBuiltinLosses(registry: LossRegistry, manifestFile = MANIFEST_PATH): Promise<void> {
  for (const entry of readManifest(manifestFile)) await loadManifestEntry(entry, registry, manifestFile);
}

/** A registry holding the built-in losses and the given third-party plugins. */
export async function createLossRegistry(options: { plugins?: string[]; baseDir?: string; registry?: LossRegistry } = {}): Promise<LossRegistry> {
  const registry = options.registry ?? new LossRegistry();
  await loadBuiltinLosses(registry);
  for (const plugin of options.plugins ?? []) await loadPlugin(plugin, registry, options.baseDir);
  return registry;
}

const entryNames = (entry: ManifestEntry) => [entry.name, ...entry.aliases];

/**
 * Loads third-party plugins into a registry of their own, checking that none claims the name or
 * an alias of a built-in (which is not imported).
 */
async function loadThirdParty(plugins: readonly string[], manifest: ManifestEntry[], registry: LossRegistry, baseDir?: string): Promise<void> {
  for (const plugin of plugins) {
    for (const loss of await loadPlugin(plugin, registry, baseDir)) {
      for (const name of [loss.name, ...(loss.aliases ?? [])]) {
        const builtin = manifest.find((entry) => entryNames(entry).includes(name) && !registry.list().some((l) => l.name === entry.name));
        if (builtin) {
          throw new UserError(`loss name '${name}' is claimed twice: by '${builtin.name}' from ${builtin.module} and by '${loss.name}' from ${registry.find(loss.name)!.source}`);
        }
      }
    }
  }
}

/**
 * The one loss named `nameOrAlias`, importing only its own module (a built-in) and the given
 * third-party plugins. An unknown name is an error listing every known loss.
 */
export async function loadLoss(nameOrAlias: string, options: { plugins?: readonly string[]; baseDir?: string } = {}): Promise<PreferenceLoss<any>> {
  const manifest = readManifest();
  const registry = new LossRegistry();
  const builtin = manifest.find((entry) => entryNames(entry).includes(nameOrAlias));
  if (builtin) await loadManifestEntry(builtin, registry, MANIFEST_PATH);
  await loadThirdParty(options.plugins ?? [], manifest, registry, options.baseDir);
  const found = registry.find(nameOrAlias);
  if (found) return found.loss;
  const known = [...manifest.map((entry) => ({ name: entry.name, aliases: entry.aliases })), ...registry.list()].map((l) =>
    l.aliases?.length ? `${l.name} (${l.aliases.join(', ')})` : l.name,
  );
  throw new UserError(`unknown loss '${nameOrAlias}'; known losses: ${known.join(', ')}`);
}

/**
 * What `prefopt losses` lists: the built-ins (from the built registry's listings when running
 * compiled, without importing their modules) and the given third-party plugins.
 */
export async function listLosses(options: { plugins?: readonly string[]; baseDir?: string } = {}): Promise<LossListing[]> {
  const manifest = readManifest();
  if (!manifest.every((entry) => entry.listing)) {
    return (await createLossRegistry({ plugins: [...(options.plugins ?? [])], baseDir: options.baseDir })).list().map(describeLoss);
  }
  const registry = new LossRegistry();
  await loadThirdParty(options.plugins ?? [], manifest, registry, options.baseDir);
  return [...manifest.map((entry) => entry.listing!), ...registry.list().map(describeLoss)];
}

/**
 * dist/registry.json, the manifest of the compiled package (`npm run build` writes it): module
 * paths of the compiled plugins, and each loss's listing, read from the compiled plugins.
 */
export async function buildManifest(sourceFile = path.join(PACKAGE_ROOT, 'registry.json')): Promise<{ plugins: ManifestEntry[] }> {
  const target = path.join(DIST_DIR, 'registry.json');
  const entries = readManifest(sourceFile).map((entry) => ({ ...entry, module: entry.module.replace(/\.([mc]?)ts$/, '.$1js') }));
  const registry = new LossRegistry();
  for (const entry of entries) await loadManifestEntry(entry, registry, target);
  return { plugins: entries.map((entry) => ({ ...entry, listing: describeLoss(registry.get(entry.name)) })) };
}
