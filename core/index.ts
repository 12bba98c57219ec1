/**
 * prefopt's public API: what a plugin author or an embedding program (such as the loss arena in
 * arena/) imports (`from 'prefopt'`). Deliberately a list, not `export *` of every module:
 * losses, config loading, training, model loading and generation, data helpers, atomic writes
 * and plots.
 * `tf` is the very TensorFlow.js instance prefopt runs on (core/loss/tf.ts); plugins must use it
 * rather than their own copy, so that their tensors live in the same engine.
 */
export * from './loss/index.ts';
export { UserError, lineError } from './errors.ts';
export { parseNumber, type NumberRange } from './cli/options.ts';
export { selectBackend, describeBackend, BACKEND_NAMES, type BackendName } from './runtime/backend.ts';

// Config: run configs (YAML/JSON, validated by ajv against the config schema).
export { loadConfig, resolveConfig, type LoadedConfig, type LoadConfigOptions } from './config/load.ts';
export type { PrefoptConfig, ModelInitConfig, BackendConfig } from './config/types.ts';
export { readConfigDocument, compileSchema, validateDocument, type ConfigDocument } from './config/document.ts';
export { lossSchema, MODEL_INIT_SCHEMA } from './config/schema.ts';

// Training.
export { train, TrainingDiverged, type TrainOptions, type TrainResult, type TaskMetricHook } from './train/trainer.ts';
export { registerPairMetrics, type PairMetricHook, type PairMetricContext } from './train/pair-metrics.ts';
export { MetricsLog } from './train/run-dir.ts';

// Models: loading a model directory, tokenizers, generation.
export { loadModelDir, type LoadedModel } from './model/checkpoint.ts';
export type { CausalLM } from './model/llama.ts';
export { HfTokenizer } from './model/hf-tokenizer.ts';
export { charTokenizerFiles } from './model/char-tokenizer.ts';
export { generate, type GenerateOptions, type Generation } from './model/generate.ts';

// Data helpers: JSONL, the seeded PRNG, the batch loop.
export { readJsonl, sourceName, type JsonlRecord } from './data/jsonl.ts';
export { inBatches } from './data/iterate.ts';
export { createRng, deriveSeed, shuffled, type Rng } from './data/random.ts';

// Files and reports.
export { writeFileAtomic } from './io/atomic.ts';
export { lineChartSpec, renderSvg, writePlots, type LineChart, type SeriesPoint } from './report/plots.ts';
