/**
 * Loading a run config: a YAML or JSON file, `--set` overrides, `plugins` loaded into the loss
 * registry, then one ajv validation against the config schema (with the selected loss's params
 * schema), defaults filled. Errors name the file, the key path and the rule:
 * `config.yaml: loss.beta must be > 0 (got -1; line 5)`.
 */
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Document, LineCounter } from 'yaml';
import { UserError } from '../errors.ts';
import { createLossRegistry, isPluginPath, loadPlugin, type LossRegistry } from '../loss/index.ts';
import { lineOf, nonFiniteNumber, readConfigDocument, valueAt } from './document.ts';
import { describeConfigError, errorSegments, keyPath, offendingValue, primaryError } from './errors.ts';
import { applyOverrides, overrideFor, parseOverride, type Override } from './overrides.ts';
import { buildConfigSchema, DEFAULT_LOSS } from './schema.ts';
import type { PrefoptConfig } from './types.ts';

export interface LoadConfigOptions {
  /** `key.path=value` overrides, applied before validation. */
  overrides?: string[];
  /**
   * A registry that already holds the built-in losses; the config's plugins are added to it.
   * Default: a new one from createLossRegistry.
   */
  registry?: LossRegistry;
  /** Where relative paths set by overrides are resolved (default: cwd). */
  cwd?: string;
}

export interface LoadedConfig {
  config: PrefoptConfig;
  /** The loss registry with the config's plugins loaded. */
  registry: LossRegistry;
  /** The config file as named. */
  source: string;
}


const validators = new WeakMap<LossRegistry, { size: number; validate: ValidateFunction }>();

/** The compiled config validator for a registry (recompiled when losses were added). */
export function configValidator(registry: LossRegistry): ValidateFunction {
  const cached = validators.get(registry);
  const size = registry.list().length;
  if (cached && cached.size === size) return cached.validate;
  const ajv = new Ajv({ useDefaults: true, allErrors: false, strict: false, verbose: true });
  const validate = ajv.compile(buildConfigSchema(registry));
  validators.set(registry, { size, validate });
  return validate;
}

/**
 * Validates a parsed config (overrides already applied): defaults filled, loss aliases replaced
 * by names, relative paths resolved. `doc`/`lines` (from the YAML source) add line numbers.
 */
export async function resolveConfig(
  raw: unknown,
  options: {
    source: string;
    baseDir: string;
    overrides?: Override[];
    registry?: LossRegistry;
    cwd?: string;
    doc?: Document;
    lines?: LineCounter;
  },
): Promise<LoadedConfig> {
  const { source, baseDir } = options;
  const overrides = options.overrides ?? [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(`${source}: expected a mapping of sections (model, data, stage, loss, train, backend, output, plugins)`);
  }
  const config = structuredClone(raw) as Record<string, unknown>;
  // `--set loss.beta=0.2` without a loss in the file sets a param of the default loss.
  if (config.loss === undefined && overrides.some((o) => o.path[0] === 'loss' && typeof o.path[1] === 'string')) {
    config.loss = structuredClone(DEFAULT_LOSS);
  }
  applyOverrides(config, overrides);
  const fail = (segments: (string | number)[], message: string, got?: string): never => {
    const override = overrideFor(segments, overrides);
    const line = override ? undefined : lineOf(options.doc, options.lines, segments);
    const extras = [got, override ? `from --set ${override.text}` : line ? `line ${line}` : undefined].filter(Boolean);
    throw new UserError(`${source}: ${message}${extras.length ? ` (${extras.join('; ')})` : ''}`);
  };

  const infinite = nonFiniteNumber(config);
  if (infinite) fail(infinite, `${keyPath(infinite)} must be a finite number`, `got ${String(valueAt(config, infinite))}`);

  // Plugins first: their losses are part of the schema.
  const plugins = config.plugins ?? [];
  if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string' || p === '')) {
    fail(['plugins'], 'plugins must be a list of plugin paths or package names');
  }
  let registry = options.registry;
  if (registry) for (const plugin of plugins as string[]) await loadPlugin(plugin, registry, baseDir);
  else registry = await createLossRegistry({ plugins: plugins as string[], baseDir });

  const validate = configValidator(registry);
  if (!validate(config)) {
    const error = primaryError(validate.errors!);
    const lossNames = registry.list().map((l) => (l.aliases?.length ? `${l.name} (${l.aliases.join(', ')})` : l.name));
    fail(errorSegments(error), describeConfigError(error, { lossNames }), offendingValue(error));
  }
  const resolved = config as unknown as PrefoptConfig;

  // Checks one schema cannot state clearly.
  const model = resolved.model;
  if ((model.path === undefined) === (model.init === undefined)) {
    fail(['model'], "model needs exactly one of 'path' (a model directory) or 'init' (the config of a fresh model)");
  }
  if (model.path !== undefined && model.tokenizer !== undefined) {
    fail(['model', 'tokenizer'], "model.tokenizer applies only with model.init (a model directory brings its own tokenizer.json)");
  }
  if (model.lora && model.path === undefined) {
    fail(['model', 'lora'], 'model.lora adapts a pretrained model: it needs model.path (a model directory), not model.init');
  }
  if (model.init && model.init.max_position_embeddings < resolved.data.maxLength) {
    fail(['model', 'init', 'max_position_embeddings'], `model.init.max_position_embeddings (${model.init.max_position_embeddings}) must be >= data.maxLength (${resolved.data.maxLength})`);
  }

  // Loss aliases -> names, so the resolved config says which loss ran.
  const specs = Array.isArray(resolved.loss) ? resolved.loss : [resolved.loss];
  for (const spec of specs) spec.name = registry.get(spec.name).name;

  // Relative paths: from the config file's directory, or from cwd when set by --set.
  const cwd = options.cwd ?? process.cwd();
  const absolute = (segments: (string | number)[], value: string) =>
    path.resolve(overrideFor(segments, overrides) ? cwd : baseDir, value);
  if (model.path !== undefined) model.path = absolute(['model', 'path'], model.path);
  if (model.tokenizer !== undefined && model.tokenizer !== 'char') model.tokenizer = absolute(['model', 'tokenizer'], model.tokenizer);
  if (resolved.reference.path !== undefined) resolved.reference.path = absolute(['reference', 'path'], resolved.reference.path);
  resolved.data.train = absolute(['data', 'train'], resolved.data.train);
  if (resolved.data.eval !== undefined) resolved.data.eval = absolute(['data', 'eval'], resolved.data.eval);
  resolved.output = absolute(['output'], resolved.output);
  resolved.plugins = resolved.plugins.map((p, i) => (isPluginPath(p) ? absolute(['plugins', i], p) : p));
  return { config: resolved, registry, source };
}

/** Reads, overrides and validates a config file (.yaml, .yml or .json). */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const { value, doc, lines } = await readConfigDocument(file);
  return resolveConfig(value ?? {}, {
    source: file,
    baseDir: path.dirname(path.resolve(file)),
    overrides: (options.overrides ?? []).map(parseOverride),
    registry: options.registry,
    cwd: options.cwd,
    doc,
    lines,
  });
}

export { keyPath };
