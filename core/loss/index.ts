/** The loss API: everything a loss plugin author needs. */
export type {
  PairLogps,
  PairLogpsWithReference,
  PairLossOutput,
  PreferenceLoss,
  ParamsSchema,
  PaperReference,
  LossParams,
} from './contract.ts';
export type { Invariant, InvariantKind } from './invariants.ts';
export { logSigmoid, clampMinZero, logRatios, betaMargin, conservativeLogistic, labelSmoothingParam, requireReference, betaRewards, betaParam } from './math.ts';
export { resolveParams, paramDefaults } from './params.ts';
export { reduceLoss, preferenceMetrics, METRIC_NAMES, type MetricName, type PreferenceMetrics } from './metrics.ts';
export { LossRegistry, LOSS_TOKEN, type RegisteredLoss } from './registry.ts';
export { loadPlugin, loadBuiltinLosses, createLossRegistry, readManifest, type ManifestEntry } from './plugins.ts';
export { contractProblems } from './validate.ts';
export { computeLoss, callLoss, pairTensors, PluginError, type LossEvaluation, type PairColumns } from './evaluate.ts';
export { createMixture, type MixtureLoss, type MixtureTerm, type MixtureTermSpec } from './mixture.ts';
