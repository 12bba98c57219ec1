/** The loss API: everything a loss plugin author needs. */
export { tf } from './tf.ts';
export type {
  PairLogps,
  PairLogpsWithReference,
  PairLossOutput,
  PairValues,
  PairEvaluation,
  ReferenceValues,
  PairReference,
  BatchReference,
  InputDomain,
  LossProperty,
  GenericPropertyId,
  PreferenceLoss,
  ParamsSchema,
  PaperReference,
  LossParams,
} from './contract.ts';
export { GENERIC_PROPERTY_IDS } from './contract.ts';
export type { Invariant, InvariantKind } from './invariants.ts';
export { logSigmoid, clampMinZero, logRatios, betaMargin, conservativeLogistic, labelSmoothingParam, requireReference, betaRewards, betaParam } from './math.ts';
export { sortAscending, ascendingOrder } from './sort.ts';
export { resolveParams, paramDefaults } from './params.ts';
export { reduceLoss, preferenceMetrics, METRIC_NAMES, type MetricName, type PreferenceMetrics } from './metrics.ts';
export { LossRegistry, LOSS_TOKEN, type RegisteredLoss } from './registry.ts';
export { isPluginPath, loadLoss, listLosses, loadPlugin, loadBuiltinLosses, createLossRegistry, readManifest, type ManifestEntry } from './plugins.ts';
export { contractProblems } from './validate.ts';
export { callLoss, throwOnNaN, throwOnNaNOutput, PluginError } from './call.ts';
export { policyGradients } from './gradients.ts';
export { computeLoss, pairTensors, type LossEvaluation, type PairColumns } from './columns.ts';
export { createMixture, type MixtureLoss, type MixtureTerm, type MixtureTermSpec } from './mixture.ts';
export * as f64 from './math64.ts';
