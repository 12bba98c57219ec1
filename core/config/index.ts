/** The run config: types, schema, loading and validation, the configured loss, the generated reference. */
export type {
  PrefoptConfig, ModelSection, ModelInitConfig, DataSection, TrainSection, LossSpec, MixtureTermConfig, Schedule, BackendConfig,
} from './types.ts';
export { buildConfigSchema, lossSchema, MODEL_SCHEMA, MODEL_INIT_SCHEMA, DATA_SCHEMA, TRAIN_SCHEMA } from './schema.ts';
export { loadConfig, resolveConfig, configValidator, type LoadConfigOptions, type LoadedConfig } from './load.ts';
export { parseOverride, applyOverrides, type Override } from './overrides.ts';
export { configuredLoss } from './loss.ts';
export { renderConfigDocs } from './docs.ts';
export { readConfigDocument, parseDocument, compileSchema, validateDocument, lineOf, type ConfigDocument } from './document.ts';
