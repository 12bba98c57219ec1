/**
 * A comparison config (`prefopt compare --config FILE`): the arithmetic task, the SFT start, the
 * losses to compare (built-in or from `plugins`) x learning rates x seeds (x an optional grid of
 * params such as beta), the preference-run settings and how many runs go in parallel. YAML or
 * JSON, validated by ajv through the run config's machinery (same error wording, with lines);
 * each loss entry is checked against its own params schema.
 */
import path from 'node:path';
import {
  compileSchema, createLossRegistry, lossSchema, MODEL_INIT_SCHEMA, readConfigDocument, UserError, validateDocument,
  type ConfigDocument, type LossRegistry, type ModelInitConfig,
} from '../../core/index.ts';

/** One compared method: a loss (or a mixture) with its params, and the label it gets in the report. */
export interface MethodSpec {
  label: string;
  loss: Record<string, unknown> | Record<string, unknown>[];
}

export interface CompareConfig {
  /** Shown in the report's title. */
  name: string;
  task: {
    seed: number; sftTrain: number; preferenceTrain: number; eval: number; test: number; maxNumber?: number; maxSteps?: number;
    /** 'close': rejected = the correct solution with one intermediate result wrong; 'on-policy': sampled from the SFT model. */
    pairs: 'close' | 'on-policy';
    /** On-policy: samples per question (temperature 1). */
    samples: number;
    temperature: number;
  };
  sft: {
    model: Omit<ModelInitConfig, 'model_type' | 'rms_norm_eps' | 'rope_theta' | 'tie_word_embeddings'>; steps: number; batchSize: number; learningRate: number; seed: number;
    /** AdamW decoupled weight decay of the SFT run (train.weightDecay). */
    weightDecay: number;
    /** One SFT model per comparison seed (trained with that seed, the start of that seed's runs), so that the intervals cover SFT variance; else one model (seed `seed`) for every run. */
    perSeed: boolean;
  };
  maxLength: number;
  plugins: string[];
  losses: (string | Record<string, unknown> | Record<string, unknown>[])[];
  /** Optional params grid applied to every loss, e.g. { beta: [0.05, 0.1] }. */
  params: Record<string, unknown[]>;
  learningRates: number[];
  seeds: number[];
  preference: { steps: number; batchSize: number; warmupRatio: number; logEvery: number; evalEvery: number };
  generation: { batchSize: number; maxNewTokens: number };
  /** Runs at once (default: the machine's cores). */
  workers?: number;
  backend: string;
  output?: string;
}

const int = (min: number, extra: Record<string, unknown> = {}) => ({ type: 'integer', minimum: min, ...extra });

/** The JSON Schema of a comparison config, with the registry's losses. */
export function compareSchema(registry: LossRegistry): Record<string, unknown> {
  const lossEntry = lossSchema(registry.list());
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'prefopt comparison config',
    type: 'object',
    additionalProperties: false,
    required: ['losses', 'learningRates'],
    properties: {
      $schema: { type: 'string' },
      name: { type: 'string', minLength: 1, default: 'comparison' },
      task: {
        type: 'object', additionalProperties: false, default: {},
        properties: {
          seed: int(0, { default: 0 }),
          sftTrain: int(1, { default: 1500 }),
          preferenceTrain: int(1, { default: 320 }),
          eval: int(1, { default: 64 }),
          test: int(1, { default: 300 }),
          maxNumber: int(1, { default: 30 }),
          maxSteps: int(1, { default: 2 }),
          pairs: { enum: ['close', 'on-policy'], default: 'close' },
          samples: int(2, { default: 4 }),
          temperature: { type: 'number', exclusiveMinimum: 0, default: 1 },
        },
      },
      sft: {
        type: 'object', additionalProperties: false, default: {},
        properties: {
          model: { ...MODEL_INIT_SCHEMA, default: {} },
          steps: int(1, { default: 600 }),
          batchSize: int(1, { default: 8 }),
          learningRate: { type: 'number', exclusiveMinimum: 0, default: 5e-3 },
          weightDecay: { type: 'number', minimum: 0, default: 0 },
          seed: int(0, { default: 1 }),
          perSeed: { type: 'boolean', default: false },
        },
      },
      maxLength: int(8, { default: 128 }),
      plugins: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      losses: { type: 'array', minItems: 1, items: lossEntry },
      params: { type: 'object', default: {}, additionalProperties: { type: 'array', minItems: 1 } },
      learningRates: { type: 'array', minItems: 1, items: { type: 'number', exclusiveMinimum: 0 } },
      seeds: { type: 'array', minItems: 1, items: int(0), default: [1, 2, 3] },
      preference: {
        type: 'object', additionalProperties: false, default: {},
        properties: {
          steps: int(1, { default: 40 }),
          batchSize: int(1, { default: 8 }),
          warmupRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.1 },
          logEvery: int(1, { default: 5 }),
          evalEvery: int(0, { default: 0 }),
        },
      },
      generation: {
        type: 'object', additionalProperties: false, default: {},
        properties: { batchSize: int(1, { default: 100 }), maxNewTokens: int(1, { default: 48 }) },
      },
      workers: int(1),
      backend: { enum: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'], default: 'auto' },
      output: { type: 'string', minLength: 1 },
    },
  };
}

/** Loss entries as objects: a bare name `dpo` is `{ name: dpo }`. */
function normalizeLosses(value: unknown): void {
  const losses = (value as { losses?: unknown } | null)?.losses;
  if (Array.isArray(losses)) losses.forEach((entry, i) => { if (typeof entry === 'string') losses[i] = { name: entry }; });
}

/** Validates a parsed comparison config (defaults filled, plugins loaded, paths resolved). */
export async function resolveCompareConfig(raw: unknown, options: { source: string; baseDir: string; document?: ConfigDocument }): Promise<{ config: CompareConfig; registry: LossRegistry }> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${options.source}: expected a mapping (task, sft, losses, learningRates, seeds, ...)`);
  const value = structuredClone(raw) as Record<string, unknown>;
  const plugins = Array.isArray(value.plugins) ? value.plugins.filter((p): p is string => typeof p === 'string') : [];
  const resolvedPlugins = plugins.map((p) => (/^(\.{1,2}[\\/]|\/)|\.(ts|js|mjs|cjs|mts)$/.test(p) ? path.resolve(options.baseDir, p) : p));
  const registry = await createLossRegistry({ plugins: resolvedPlugins, baseDir: options.baseDir });
  normalizeLosses(value);
  const lossNames = registry.list().map((l) => (l.aliases?.length ? `${l.name} (${l.aliases.join(', ')})` : l.name));
  validateDocument(value, compileSchema(compareSchema(registry)), { source: options.source, doc: options.document?.doc, lines: options.document?.lines, lossNames });
  const config = value as unknown as CompareConfig;
  config.plugins = resolvedPlugins;
  if (config.output) config.output = path.resolve(options.baseDir, config.output);
  for (const entry of config.losses) for (const spec of Array.isArray(entry) ? entry : [entry]) (spec as Record<string, unknown>).name = registry.get(String((spec as Record<string, unknown>).name)).name;
  methodsOf(config); // duplicate labels fail here, before anything runs
  return { config, registry };
}

/** Reads and validates a comparison config file. */
export async function loadCompareConfig(file: string): Promise<{ config: CompareConfig; registry: LossRegistry }> {
  const document = await readConfigDocument(file);
  return resolveCompareConfig(document.value ?? {}, { source: file, baseDir: path.dirname(path.resolve(file)), document });
}

function describeLoss(loss: Record<string, unknown> | Record<string, unknown>[]): string {
  const one = (spec: Record<string, unknown>) => {
    const { name, ...params } = spec;
    const shown = Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',');
    return shown ? `${name}(${shown})` : String(name);
  };
  return Array.isArray(loss) ? loss.map(one).join('+') : one(loss);
}

/**
 * The methods a config compares: each loss entry, times each combination of the params grid.
 * Labels are the loss names; when a name repeats, with the grid's params (`dpo(beta=0.05)`), and
 * when that still repeats, with all params.
 */
export function methodsOf(config: CompareConfig): MethodSpec[] {
  const grid = Object.entries(config.params ?? {});
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of grid) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  const methods = config.losses.flatMap((entry) => combos.map((combo) => {
    const loss = Array.isArray(entry) ? entry.map((s) => ({ ...(s as Record<string, unknown>), ...combo })) : { ...(entry as Record<string, unknown>), ...combo };
    return { loss, combo };
  }));
  const plain = methods.map(({ loss }) => (Array.isArray(loss) ? loss.map((s) => s.name).join('+') : String(loss.name)));
  const withGrid = methods.map(({ combo }, i) => (Object.keys(combo).length ? `${plain[i]}(${Object.entries(combo).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')})` : plain[i]!));
  const count = (list: string[], x: string) => list.filter((y) => y === x).length;
  const labels = methods.map(({ loss }, i) => (count(plain, plain[i]!) === 1 ? plain[i]! : count(withGrid, withGrid[i]!) === 1 ? withGrid[i]! : describeLoss(loss)));
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new UserError(`losses: '${label}' is listed twice with the same params`);
    seen.add(label);
  }
  return methods.map(({ loss }, i) => ({ label: labels[i]!, loss }));
}
