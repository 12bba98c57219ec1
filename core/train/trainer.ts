/**
 * The trainer: stages `sft` and `preference` (any registered loss, or a mixture), AdamW with
 * warmup + linear/cosine decay, gradient accumulation to an effective batch, global-norm
 * clipping, evaluation, metrics under TRL's names, atomic checkpoints and exact resume.
 *
 * One optimizer step = `gradientAccumulation` microbatches of `batchSize` pairs (or SFT rows):
 * each microbatch's gradient is computed with weight 1/gradientAccumulation and summed, the sum is
 * clipped and applied. Data order depends only on (seed, epoch), so a resumed run sees the same
 * batches as one that was never interrupted.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LoadedConfig } from '../config/load.ts';
import { configuredLoss } from '../config/loss.ts';
import type { PrefoptConfig } from '../config/types.ts';
import { collatePreference, collateSequences } from '../data/collate.ts';
import { formatLoadStats, loadPreferenceDataset, loadSftDataset, type PreferenceExample, type SftExample } from '../data/datasets.ts';
import { batchesPerEpoch, iterateBatches } from '../data/iterate.ts';
import { UserError } from '../errors.ts';
import type { LossParams, PreferenceLoss } from '../loss/index.ts';
import { saveModelDir } from '../model/checkpoint.ts';
import type { HfTokenizer } from '../model/hf-tokenizer.ts';
import type { CausalLM } from '../model/llama.ts';
import { describeBackend, selectBackend } from '../runtime/backend.ts';
import { evaluatePreference, evaluateSft, MetricMeans } from './evaluate.ts';
import { clipByGlobalNorm, computeGradients, GradientAccumulator, globalNorm } from './gradients.ts';
import { preferenceObjective, sftObjective, type Objective } from './objectives.ts';
import { AdamW } from './optimizer.ts';
import { createProgress, type Progress } from './progress.ts';
import { frozenReference, precomputedReference, type ReferenceSource } from './reference.ts';
import { latestCheckpoint, MetricsLog, prepareRunDir, restoreCheckpoint, saveCheckpoint } from './run-dir.ts';
import { learningRateAt, warmupStepsFor } from './schedule.ts';
import { cloneModel, startingModel } from './start-model.ts';

/** A training run stopped because a loss or gradient stopped being finite. */
export class TrainingDiverged extends UserError {
  override name = 'TrainingDiverged';
}

/** Extra metrics computed at each evaluation (e.g. exact-match accuracy of generated answers). */
export type TaskMetricHook = (context: { model: CausalLM; tokenizer: HfTokenizer; step: number }) => Promise<Record<string, number>>;

export interface TrainOptions {
  resume?: boolean;
  taskMetrics?: TaskMetricHook;
  /** Where progress goes (default: stderr, a live bar on a terminal). */
  progressStream?: NodeJS.WriteStream;
  interactive?: boolean;
  /** Test hook: called after each optimizer step, e.g. to simulate a kill. */
  afterStep?: (step: number) => Promise<void> | void;
}

export interface TrainResult {
  runDir: string;
  modelDir: string;
  steps: number;
  seconds: number;
  /** The last logged training metrics and the final evaluation (`eval_*`), when there was one. */
  train: Record<string, number>;
  eval: Record<string, number>;
}

type Stage =
  | { kind: 'preference'; examples: PreferenceExample[]; evalExamples: PreferenceExample[]; loss: PreferenceLoss<any>; params: LossParams; reference?: ReferenceSource }
  | { kind: 'sft'; examples: SftExample[]; evalExamples: SftExample[] };

async function loadStage(config: PrefoptConfig, loaded: LoadedConfig, model: CausalLM, tokenizer: HfTokenizer, log: (line: string) => void): Promise<Stage> {
  const dataOptions = { maxLength: config.data.maxLength, format: config.data.format, skipInvalid: config.data.skipInvalid };
  if (config.stage === 'sft') {
    const train = await loadSftDataset(config.data.train, tokenizer, dataOptions);
    log(formatLoadStats(train.stats));
    const evalSet = config.data.eval ? await loadSftDataset(config.data.eval, tokenizer, dataOptions) : undefined;
    if (evalSet) log(formatLoadStats(evalSet.stats));
    return { kind: 'sft', examples: train.examples, evalExamples: evalSet?.examples ?? [] };
  }
  const { loss, params } = configuredLoss(config.loss, loaded.registry);
  const train = await loadPreferenceDataset(config.data.train, tokenizer, dataOptions);
  log(formatLoadStats(train.stats));
  const evalSet = config.data.eval ? await loadPreferenceDataset(config.data.eval, tokenizer, dataOptions) : undefined;
  if (evalSet) log(formatLoadStats(evalSet.stats));
  let reference: ReferenceSource | undefined;
  if (loss.requiresReference) {
    if (config.train.precomputeReference) {
      const all = [...train.examples, ...(evalSet?.examples ?? [])];
      reference = await precomputedReference(model, all, {
        batchSize: config.train.evalBatchSize ?? config.train.batchSize,
        padTokenId: tokenizer.padTokenId,
        cacheFile: (key) => `${config.data.train}.ref-${key.slice(0, 16)}.json`,
        log,
      });
    } else {
      reference = frozenReference(cloneModel(model));
    }
  }
  return { kind: 'preference', examples: train.examples, evalExamples: evalSet?.examples ?? [], loss, params, reference };
}

function describeLoss(config: PrefoptConfig): string {
  const specs = Array.isArray(config.loss) ? config.loss : [config.loss];
  return specs.map(({ name, ...rest }) => `${name}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`).join(' + ');
}

/** Names the first non-finite quantity of a step, for the divergence message. */
function diagnose(metrics: Record<string, number>, norm: number): string {
  const bad = Object.entries(metrics).filter(([, v]) => !Number.isFinite(v)).map(([k, v]) => `${k}=${v}`);
  if (!Number.isFinite(norm)) bad.push(`grad_norm=${norm}`);
  return bad.join(', ');
}

/** Runs the training a loaded config describes. */
export async function train(loaded: LoadedConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const { config } = loaded;
  const runDir = config.output;
  const startedAt = Date.now();
  await selectBackend(config.backend);
  await prepareRunDir(runDir, config, options.resume ?? false);
  const metricsLog = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
  const stream = options.progressStream ?? process.stderr;
  const say = (line: string) => stream.write(`${line}\n`);
  say(`prefopt train: stage ${config.stage}${config.stage === 'preference' ? `, loss ${describeLoss(config)}` : ''}, ${describeBackend()}, run ${runDir}`);

  const { model, tokenizer } = await startingModel(config.model, config.train.seed);
  say(`model: ${model.config.model_type}, ${(model.parameterCount() / 1e6).toFixed(2)}M parameters, vocab ${model.config.vocab_size}`);
  const stage = await loadStage(config, loaded, model, tokenizer, say);
  if (stage.examples.length === 0) throw new UserError(`${config.data.train}: no usable training examples`);

  const t = config.train;
  const microPerEpoch = batchesPerEpoch(stage.examples.length, t.batchSize);
  const totalSteps = t.maxSteps ?? Math.ceil((microPerEpoch * t.epochs) / t.gradientAccumulation);
  const schedule = { peak: t.learningRate, warmupSteps: warmupStepsFor(t, totalSteps), totalSteps, schedule: t.schedule };
  const optimizer = new AdamW(model.params, { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: t.adamEpsilon, weightDecay: t.weightDecay });

  let step = 0;
  let pending = new MetricMeans();
  if (options.resume) {
    const checkpoint = await latestCheckpoint(runDir);
    if (!checkpoint) throw new UserError(`${runDir}: no complete checkpoint to resume from`);
    const state = await restoreCheckpoint(checkpoint.dir, model, optimizer);
    step = state.step;
    pending = MetricMeans.from(state.pending);
    await metricsLog.truncateAfter(step);
    say(`resumed from ${checkpoint.dir} at step ${step}`);
  } else {
    await metricsLog.truncateAfter(-1);
  }

  const evalBatchSize = t.evalBatchSize ?? t.batchSize;
  const evaluate = async (): Promise<Record<string, number>> => {
    const metrics =
      stage.kind === 'preference'
        ? stage.evalExamples.length > 0
          ? evaluatePreference(model, stage.evalExamples, { loss: stage.loss, params: stage.params, reference: stage.reference, batchSize: evalBatchSize, padTokenId: tokenizer.padTokenId })
          : {}
        : stage.evalExamples.length > 0
          ? evaluateSft(model, stage.evalExamples, { batchSize: evalBatchSize, padTokenId: tokenizer.padTokenId })
          : {};
    const task = options.taskMetrics ? await options.taskMetrics({ model, tokenizer, step }) : {};
    return Object.fromEntries(Object.entries({ ...metrics, ...task }).map(([k, v]) => [`eval_${k}`, v]));
  };

  const objective = (items: readonly unknown[]): (() => Objective) => {
    if (stage.kind === 'sft') {
      const batch = collateSequences((items as SftExample[]).map((e) => e.sequence), { padTokenId: tokenizer.padTokenId });
      return () => sftObjective(model, batch);
    }
    const pairs = items as PreferenceExample[];
    const batch = collatePreference(pairs, { padTokenId: tokenizer.padTokenId });
    const reference = stage.reference?.logps(pairs, batch);
    return () => preferenceObjective(model, batch, stage.loss, stage.params, reference);
  };

  const progress: Progress = createProgress(totalSteps, { label: 'train', startStep: step, stream, interactive: options.interactive });
  const batches = iterateBatches(stage.examples as unknown[], {
    batchSize: t.batchSize,
    seed: t.seed,
    epochs: t.maxSteps !== undefined ? Infinity : t.epochs,
    shuffle: config.data.shuffle,
    startStep: step * t.gradientAccumulation,
  });
  const accumulator = new GradientAccumulator();
  let lastTrain: Record<string, number> = {};
  let lastEval: Record<string, number> = {};
  let tokensSince = 0;
  let timeSince = Date.now();
  const save = async () => {
    const dir = await saveCheckpoint(runDir, model, tokenizer, optimizer, { step, pending: pending.toJSON() });
    progress.log(`checkpoint: ${dir}`);
  };

  try {
    while (step < totalSteps) {
      const micro = new MetricMeans();
      let epoch = 0;
      for (let m = 0; m < t.gradientAccumulation; m++) {
        const next = batches.next();
        if (next.done) break;
        epoch = next.value.epoch;
        const result = computeGradients(model, objective(next.value.items), 1 / t.gradientAccumulation);
        accumulator.add(result.grads);
        micro.add(result.metrics, next.value.items.length);
        tokensSince += next.value.items.length * (stage.kind === 'preference' ? 2 : 1);
      }
      if (micro.count === 0) break; // data exhausted
      const grads = accumulator.take();
      const norm = globalNorm(grads);
      const metrics = micro.means();
      if (!Number.isFinite(norm) || Object.values(metrics).some((v) => !Number.isFinite(v))) {
        for (const g of grads.values()) g.dispose();
        const kept = await latestCheckpoint(runDir);
        throw new TrainingDiverged(
          `training diverged at step ${step + 1} (epoch ${epoch}): non-finite ${diagnose(metrics, norm)}; ` +
            (kept ? `the last good checkpoint is ${kept.dir}` : 'no checkpoint was written before it (set train.saveEvery)'),
        );
      }
      clipByGlobalNorm(grads, norm, t.maxGradNorm);
      const lr = learningRateAt(step + 1, schedule);
      optimizer.apply(grads, lr);
      for (const g of grads.values()) g.dispose();
      step += 1;
      pending.add({ ...metrics, grad_norm: norm });

      if (step % t.logEvery === 0 || step === totalSteps) {
        const seconds = (Date.now() - timeSince) / 1000;
        lastTrain = pending.means();
        await metricsLog.append({ step, epoch, learning_rate: lr, ...lastTrain, 'tokens/s': Math.round(tokensSince / Math.max(seconds, 1e-3)) });
        progress.update(step, { loss: lastTrain.loss!, ...(lastTrain['rewards/accuracies'] !== undefined ? { acc: lastTrain['rewards/accuracies'] } : {}), lr });
        pending = new MetricMeans();
        tokensSince = 0;
        timeSince = Date.now();
      }
      if (t.evalEvery > 0 && step % t.evalEvery === 0 && step < totalSteps) {
        lastEval = await evaluate();
        await metricsLog.append({ step, epoch, ...lastEval });
        progress.log(`eval @ step ${step}: ${Object.entries(lastEval).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join('  ')}`);
      }
      if (t.saveEvery > 0 && step % t.saveEvery === 0 && step < totalSteps) await save();
      await options.afterStep?.(step);
    }
    lastEval = await evaluate();
    if (Object.keys(lastEval).length > 0) await metricsLog.append({ step, ...lastEval });
    await save();
    const modelDir = path.join(runDir, 'model');
    await saveModelDir(modelDir, model, tokenizer);
    progress.stop();
    const seconds = (Date.now() - startedAt) / 1000;
    return { runDir, modelDir, steps: step, seconds, train: lastTrain, eval: lastEval };
  } finally {
    progress.stop();
    accumulator.dispose();
    if (stage.kind === 'preference') stage.reference?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
