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
import type { PrefoptConfig } from '../config/types.ts';
import { batchesPerEpoch, iterateBatches } from '../data/iterate.ts';
import { UserError } from '../errors.ts';
import { PluginError } from '../loss/index.ts';
import { saveModelDir } from '../model/checkpoint.ts';
import { LoraAdapters } from '../model/lora.ts';
import { saveAdapterDir, writeAdapterFiles } from '../model/peft.ts';
import type { SaveDtype } from '../model/safetensors.ts';
import type { HfTokenizer } from '../model/hf-tokenizer.ts';
import type { CausalLM } from '../model/llama.ts';
import { describeBackend, selectBackend } from '../runtime/backend.ts';
import { clipByGlobalNorm, computeGradients, GradientAccumulator, globalNorm } from './gradients.ts';
import { DivergenceMonitor, TrainingDiverged } from './divergence.ts';
import { AdamW } from './optimizer.ts';
import { GradientPool, threadsFor } from './parallel/pool.ts';
import type { ObjectiveSpec } from './parallel/shares.ts';
import { createProgress } from './progress.ts';
import { modelCard } from './model-card.ts';
import { plotRun } from './run-plots.ts';
import { describeChange } from './run-config.ts';
import { latestCheckpoint, latestGoodCheckpoint, MetricsLog, namedCheckpoint, prepareRunDir, restoreCheckpoint, rotateCheckpoints, saveCheckpoint, type PreparedRunDir } from './run-dir.ts';
import { learningRateAt, warmupStepsFor } from './schedule.ts';
import { describeStage, loadStage, objectiveSpec, type TrainingStage } from './stages.ts';
import { startingModel } from './start-model.ts';
import { WeightedMeans } from './weighted-means.ts';

export { TrainingDiverged };

/** Extra metrics computed at each evaluation (e.g. exact-match accuracy of generated answers). */
export type TaskMetricHook = (context: { model: CausalLM; tokenizer: HfTokenizer; step: number }) => Promise<Record<string, number>>;

export interface TrainOptions {
  /** Continue the run in the output directory from its newest checkpoint. */
  resume?: boolean;
  /** Continue the run from this checkpoint directory instead of the newest (implies resume). */
  resumeFrom?: string;
  taskMetrics?: TaskMetricHook;
  /** Where progress goes (default: stderr, a live bar on a terminal). */
  progressStream?: NodeJS.WriteStream;
  interactive?: boolean;
  /** Draw the run's curves into RUN_DIR/plots/ at the end (default true; `prefopt plot` draws them later). */
  plots?: boolean;
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

/** The dtype the final model is saved in: model.saveDtype, where 'auto' is the dtype it came in. */
function saveDtype(setting: PrefoptConfig['model']['saveDtype'], cameIn: SaveDtype): SaveDtype {
  return setting === 'auto' ? cameIn : setting === 'bfloat16' ? 'BF16' : setting === 'float16' ? 'F16' : 'F32';
}

/** The divergence error: what went wrong at which step, and the last checkpoint verified good. */
async function diverged(runDir: string, step: number, epoch: number, problem: string): Promise<TrainingDiverged> {
  const kept = await latestGoodCheckpoint(runDir);
  return new TrainingDiverged(
    `training diverged at step ${step} (epoch ${epoch}): ${problem}; ` +
      (kept ? `the last good checkpoint is ${kept.dir}` : 'no good checkpoint was written before it (set train.saveEvery)'),
  );
}

/**
 * A user error of a microbatch's objective (such as a loss's NaN), named by the training records
 * on which the loss is not finite when there are such: a gradient worker knows only positions in
 * its share of the microbatch, so the loss is evaluated again here on the whole microbatch.
 */
function namedLossError(stage: TrainingStage, items: readonly number[], error: unknown): unknown {
  if (!(error instanceof UserError)) return error;
  try {
    const found = stage.nonFiniteLoss(items);
    return found ? new PluginError(found, { cause: error }) : error;
  } catch {
    return error; // the loss fails the same way again: its own error says it
  }
}

/**
 * Data-parallel gradients over `threads` threads (core/train/parallel), or undefined for one
 * thread: asked for, or a loss the workers cannot load (then said why). A batch-coupled loss's
 * pool computes gradients on one thread and spreads only whole batches (reference log-probs,
 * evaluation) over the others.
 */
async function startPool(model: CausalLM, spec: ObjectiveSpec, threads: number, say: (line: string) => void): Promise<GradientPool | undefined> {
  if (threads <= 1) return undefined;
  let pool: GradientPool;
  try {
    pool = await GradientPool.start(model, spec, { threads });
  } catch (error) {
    say(`gradients: 1 thread (the gradient workers could not start: ${(error as Error).message})`);
    return undefined;
  }
  if (pool.gradientThreads > 1) {
    say(`gradients: ${pool.threads} threads (train.workers)`);
    return pool;
  }
  if (pool.threads > 1) {
    say(`gradients: 1 thread (the loss couples the pairs of a batch); reference log-probs and evaluation: ${pool.threads} threads (train.workers)`);
    return pool;
  }
  await pool.dispose();
  return undefined;
}

/** Runs the training a loaded config describes: batch, gradients, clip, step, log, evaluate, save. */
export async function train(loaded: LoadedConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const { config } = loaded;
  const startedAt = Date.now();
  await selectBackend(config.backend);
  const resume = options.resume === true || options.resumeFrom !== undefined;
  const prepared = await prepareRunDir(config.output, config, resume);
  try {
    return await trainIn(loaded, options, { prepared, resume, startedAt });
  } finally {
    await prepared.lock.release();
  }
}

/** The training itself, in a prepared and locked run directory. */
async function trainIn(
  loaded: LoadedConfig,
  options: TrainOptions,
  { prepared, resume, startedAt }: { prepared: PreparedRunDir; resume: boolean; startedAt: number },
): Promise<TrainResult> {
  const { config } = loaded;
  const t = config.train;
  const runDir = config.output;
  const metricsLog = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
  const stream = options.progressStream ?? process.stderr;
  const say = (line: string) => stream.write(`${line}\n`);

  say(`prefopt train: ${describeStage(config)}, ${describeBackend()}, run ${runDir}`);
  if (prepared.removed.length > 0) say(`removed ${prepared.removed.length} leftover temporary file(s) of an interrupted write`);
  if (prepared.restarted) say('the run in this directory stopped before its first checkpoint: starting it again from step 0');
  for (const change of prepared.changes) say(`resume with a changed config: ${describeChange(change)}`);
  const start = await startingModel(config.model, t.seed);
  const { model, tokenizer } = start;
  say(`model: ${model.config.model_type}, ${(model.parameterCount() / 1e6).toFixed(2)}M parameters, vocab ${model.config.vocab_size}`);
  if (config.data.maxLength > model.config.max_position_embeddings) {
    model.dispose();
    throw new UserError(`data.maxLength (${config.data.maxLength}) is longer than the model's max_position_embeddings (${model.config.max_position_embeddings}); lower data.maxLength`);
  }
  const lora = config.model.lora ? LoraAdapters.attach(model, config.model.lora, t.seed) : undefined;
  if (lora) say(`LoRA r=${lora.settings.r} alpha=${lora.settings.alpha} on ${lora.layers.size} layers: ${lora.parameterCount().toLocaleString('en-US')} trainable parameters, base weights frozen`);
  // The stage starts the threads once its data loaded: they also precompute the reference log-probs it may need.
  let starting: Promise<GradientPool | undefined> | undefined;
  const ensurePool = () => (starting ??= startPool(model, objectiveSpec(config), lora ? 1 : threadsFor(t.workers, tf.getBackend()), say));
  let stage: TrainingStage;
  let pool: GradientPool | undefined;
  try {
    stage = await loadStage(loaded, { model, tokenizer, log: say, startPool: ensurePool });
    pool = await ensurePool();
    if (stage.exampleCount === 0) {
      stage.dispose();
      throw new UserError(`${config.data.train}: no usable training examples`);
    }
  } catch (error) {
    await (await starting?.catch(() => undefined))?.dispose();
    throw error;
  }

  const totalSteps = t.maxSteps ?? Math.ceil((batchesPerEpoch(stage.exampleCount, t.batchSize) * t.epochs) / t.gradientAccumulation);
  const schedule = { peak: t.learningRate, warmupSteps: warmupStepsFor(t, totalSteps), totalSteps, schedule: t.schedule };
  const optimizer = new AdamW(model.trainable, { beta1: t.adamBeta1, beta2: t.adamBeta2, epsilon: t.adamEpsilon, weightDecay: t.weightDecay });
  const evalBatchSize = t.evalBatchSize ?? t.batchSize;

  // Where the run stands: restored from the newest checkpoint on resume.
  let step = 0;
  let numTokens = 0; // tokens trained on (TRL's num_tokens)
  let pending = new WeightedMeans(); // training metrics since the last log line
  let finalEval: Record<string, number> | undefined; // the final evaluation, when a resumed checkpoint holds it
  const checkpoint = !resume ? undefined : options.resumeFrom !== undefined ? await namedCheckpoint(options.resumeFrom) : await latestCheckpoint(runDir);
  if (checkpoint) {
    const state = await restoreCheckpoint(checkpoint.dir, model, optimizer);
    step = state.step;
    numTokens = state.numTokens ?? 0;
    pending = WeightedMeans.from(state.pending);
    finalEval = state.finalEval;
    await metricsLog.truncateAfter(step);
    say(`resumed from ${checkpoint.dir} at step ${step}`);
  } else {
    if (resume) say(`${runDir}: no checkpoint yet: starting from step 0`);
    await metricsLog.truncateAfter(-1);
  }
  const divergence = new DivergenceMonitor(model);

  const evaluate = async (): Promise<Record<string, number>> => {
    const task = options.taskMetrics ? await options.taskMetrics({ model, tokenizer, step }) : {};
    return Object.fromEntries(Object.entries({ ...stage.evaluate(evalBatchSize), ...task }).map(([k, v]) => [`eval_${k}`, v]));
  };
  const baseModel = config.model.path ?? '';
  const save = async (extra: { finalEval?: Record<string, number> } = {}) => {
    const writeAdapter = lora && ((dir: string) => writeAdapterFiles(dir, lora, { baseModel, tokenizer }));
    const dir = await saveCheckpoint(runDir, model, tokenizer, optimizer, { step, numTokens, pending: pending.toJSON(), ...extra }, writeAdapter || undefined);
    progress.log(`checkpoint: ${dir}`);
    if (t.saveTotalLimit !== undefined) await rotateCheckpoints(runDir, t.saveTotalLimit);
  };

  const progress = createProgress(totalSteps, { label: 'train', startStep: step, stream, interactive: options.interactive });
  const indices = Array.from({ length: stage.exampleCount }, (_, i) => i);
  const batches = iterateBatches(indices, {
    batchSize: t.batchSize,
    seed: t.seed,
    epochs: t.maxSteps !== undefined ? Infinity : t.epochs,
    shuffle: config.data.shuffle,
    startStep: step * t.gradientAccumulation,
  });
  const accumulator = new GradientAccumulator();
  let lastTrain: Record<string, number> = {};
  let lastEval: Record<string, number> = {};
  let tokensSinceLog = 0;
  let loggedAt = Date.now();

  try {
    while (step < totalSteps) {
      // Gradients of one optimizer step: the mean over `gradientAccumulation` microbatches.
      const micro = new WeightedMeans();
      const microbatches: number[][] = [];
      let epoch = 0;
      for (let m = 0; m < t.gradientAccumulation; m++) {
        const next = batches.next();
        if (next.done) break;
        epoch = next.value.epoch;
        const items = next.value.items;
        microbatches.push(items);
        const call = step * t.gradientAccumulation + m; // numbers LoRA's dropout masks, so a resumed run draws the same
        const parallel = pool && pool.gradientThreads > 1 ? pool : undefined;
        const objective = parallel ? undefined : stage.objective(items);
        let result: ReturnType<typeof computeGradients>;
        try {
          result = parallel
            ? parallel.computeGradients(stage.shares(parallel.split(items)), 1 / t.gradientAccumulation)
            : computeGradients(model, lora ? () => lora.withDropout(call, objective!) : objective!, 1 / t.gradientAccumulation);
        } catch (error) {
          throw namedLossError(stage, items, error);
        }
        accumulator.add(result.grads);
        micro.add(result.metrics, next.value.items.length);
        const tokens = stage.tokenCount(next.value.items);
        numTokens += tokens;
        tokensSinceLog += tokens;
      }
      if (micro.weight === 0) break; // data exhausted
      const grads = accumulator.take();
      const norm = globalNorm(grads);
      const metrics = micro.means();
      const problem = divergence.beforeUpdate(metrics, norm);
      if (problem) {
        for (const g of grads.values()) g.dispose();
        // A non-finite step: name the loss and the records where the loss itself is not finite.
        const nonFinite = !Number.isFinite(norm) || Object.values(metrics).some((v) => !Number.isFinite(v));
        let culprit: string | undefined;
        for (const items of nonFinite ? microbatches : []) culprit ??= stage.nonFiniteLoss(items);
        throw await diverged(runDir, step + 1, epoch, culprit ? `${problem}: ${culprit}` : problem);
      }

      // Clip and step.
      clipByGlobalNorm(grads, norm, t.maxGradNorm);
      const lr = learningRateAt(step + 1, schedule);
      optimizer.apply(grads, lr);
      for (const g of grads.values()) g.dispose();
      step += 1;
      pending.add({ ...metrics, grad_norm: norm });
      const blowUp = divergence.afterUpdate();
      if (blowUp) throw await diverged(runDir, step, epoch, blowUp);

      // Log, evaluate, save.
      if (step % t.logEvery === 0 || step === totalSteps) {
        const seconds = Math.max((Date.now() - loggedAt) / 1000, 1e-3);
        lastTrain = pending.means();
        await metricsLog.append({ step, epoch, learning_rate: lr, ...lastTrain, num_tokens: numTokens, 'tokens/s': Math.round(tokensSinceLog / seconds) });
        progress.update(step, { loss: lastTrain.loss!, ...(lastTrain['rewards/accuracies'] !== undefined ? { acc: lastTrain['rewards/accuracies'] } : {}), lr });
        pending = new WeightedMeans();
        tokensSinceLog = 0;
        loggedAt = Date.now();
      }
      if (t.evalEvery > 0 && step % t.evalEvery === 0 && step < totalSteps) {
        lastEval = await evaluate();
        await metricsLog.append({ step, epoch, ...lastEval });
        progress.log(`eval @ step ${step}: ${Object.entries(lastEval).map(([k, v]) => `${k} ${v.toPrecision(4)}`).join('  ')}`);
      }
      if (t.saveEvery > 0 && step % t.saveEvery === 0 && step < totalSteps) await save();
      await options.afterStep?.(step);
    }
    // A resumed run whose final checkpoint holds the final evaluation (killed while writing model/)
    // has logged it already: it is not evaluated and logged again.
    if (finalEval !== undefined && step === checkpoint?.step) lastEval = finalEval;
    else {
      lastEval = await evaluate();
      if (Object.keys(lastEval).length > 0) await metricsLog.append({ step, ...lastEval });
    }
    await save({ finalEval: lastEval });
    const modelDir = path.join(runDir, 'model');
    const readme = modelCard({
      config, steps: step, numTokens, train: lastTrain, eval: lastEval,
      trainableParameters: lora ? lora.parameterCount() : model.parameterCount(), totalParameters: model.parameterCount(),
    });
    if (lora) await saveAdapterDir(modelDir, lora, { baseModel, tokenizer, readme });
    else await saveModelDir(modelDir, model, tokenizer, { dtype: saveDtype(config.model.saveDtype, start.dtype), generationConfig: start.generationConfig, readme });
    if (options.plots ?? true) {
      const plots = await plotRun(runDir);
      progress.log(`plots: ${plots.length ? path.dirname(plots[0]!) : 'none'} (${plots.map((f) => path.basename(f, '.svg')).join(', ')})`);
    }
    progress.stop();
    return { runDir, modelDir, steps: step, seconds: (Date.now() - startedAt) / 1000, train: lastTrain, eval: lastEval };
  } finally {
    progress.stop();
    await pool?.dispose();
    accumulator.dispose();
    stage.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
