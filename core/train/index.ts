/** The trainer's public API. */
export { train, TrainingDiverged, type TrainOptions, type TrainResult, type TaskMetricHook } from './trainer.ts';
export { evaluatePreference, evaluateSft } from './held-out.ts';
export { WeightedMeans } from './weighted-means.ts';
export { AdamW } from './optimizer.ts';
export { learningRateAt } from './schedule.ts';
export { latestCheckpoint, MetricsLog } from './run-dir.ts';
export { startingModel, cloneModel } from './start-model.ts';
