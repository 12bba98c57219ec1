/**
 * The experiment's training runs, each an ordinary `train()` of a config built here: the SFT run
 * (a fresh tiny Llama, the task tokenizer of data.ts) and the preference runs that start from its `model/`
 * directory. Every run evaluates the held-out test split by generation through the trainer's
 * task-metric hook, so the numbers land in its metrics.jsonl as `eval_accuracy`, `eval_malformed`...
 */
import path from 'node:path';
import { MetricsLog, resolveConfig, train, type BackendConfig, type LossRegistry, type TrainResult } from '../../core/index.ts';
import type { ExperimentData } from './data.ts';
import type { ReproduceProfile } from './profiles.ts';
import type { MetricsRecord, TaskNumbers } from './summary.ts';
import { taskMetricHook, type TaskEvalResult } from './task-eval.ts';

export interface RunContext {
  profile: ReproduceProfile;
  data: ExperimentData;
  backend: BackendConfig;
  registry: LossRegistry;
  /** Progress and stage lines (the trainer's bar goes here too). */
  stream: NodeJS.WriteStream;
  interactive?: boolean;
}

export interface FinishedRun {
  result: TrainResult;
  history: MetricsRecord[];
  /** Test numbers of the final model, and its last generations (samples for the report). */
  final: TaskNumbers;
  generations: TaskEvalResult['generations'];
}

async function runTraining(context: RunContext, raw: Record<string, unknown>, source: string, baseDir: string, totalSteps: number): Promise<FinishedRun> {
  const { profile, data, stream } = context;
  const loaded = await resolveConfig(raw, { source, baseDir, registry: context.registry });
  let last: TaskEvalResult | undefined;
  const log = (line: string) => stream.write(`${line}\n`);
  // Evaluations during training answer the first few test questions; the final one answers all.
  const items = (step: number) => (step < totalSteps ? data.test.slice(0, profile.generation.duringTraining) : data.test);
  const hook = taskMetricHook(items, { ...profile.generation, log }, (result, step) => {
    if (step >= totalSteps) last = result;
  });
  const result = await train(loaded, { taskMetrics: hook, progressStream: stream, interactive: context.interactive });
  const history = (await new MetricsLog(path.join(result.runDir, 'metrics.jsonl')).read()) as MetricsRecord[];
  const metrics = last?.metrics ?? { accuracy: Number.NaN, repeated_ngrams: Number.NaN, malformed: Number.NaN };
  return { result, history, final: metrics, generations: last?.generations ?? [] };
}

/** Supervised fine-tuning of a fresh tiny model on the correct solutions. */
export async function runSft(context: RunContext, runDir: string, seed: number): Promise<FinishedRun> {
  const { profile, data } = context;
  const raw = {
    stage: 'sft',
    model: { init: { model_type: 'llama', ...profile.model }, tokenizer: data.tokenizerDir },
    data: { train: data.files.sftTrain, eval: data.files.sftEval, maxLength: profile.maxLength },
    train: {
      seed,
      maxSteps: profile.sft.steps,
      batchSize: profile.sft.batchSize,
      learningRate: profile.sft.learningRate,
      warmupRatio: 0.05,
      schedule: 'cosine',
      maxGradNorm: 1,
      logEvery: Math.max(1, Math.round(profile.sft.steps / 15)),
      evalEvery: profile.sft.evalEvery,
      saveEvery: 0,
    },
    backend: context.backend,
    output: runDir,
  };
  return runTraining(context, raw, `reproduce ${profile.name}: sft`, runDir, profile.sft.steps);
}

/** One preference run from the SFT model: a loss at a learning rate. */
export async function runPreference(
  context: RunContext,
  runDir: string,
  spec: { method: string; learningRate: number; seed: number; sftModelDir: string },
): Promise<FinishedRun> {
  const { profile, data } = context;
  const p = profile.preference;
  const raw = {
    stage: 'preference',
    model: { path: spec.sftModelDir },
    data: { train: data.files.train, eval: data.files.eval, maxLength: profile.maxLength },
    loss: { name: spec.method, beta: p.beta },
    train: {
      seed: spec.seed,
      maxSteps: p.steps,
      batchSize: p.batchSize,
      learningRate: spec.learningRate,
      warmupRatio: 0.1,
      schedule: 'constant',
      maxGradNorm: 1,
      logEvery: p.logEvery,
      evalEvery: p.evalEvery,
      saveEvery: 0,
      precomputeReference: true,
    },
    backend: context.backend,
    output: runDir,
  };
  return runTraining(context, raw, `reproduce ${profile.name}: ${spec.method} lr ${spec.learningRate}`, runDir, p.steps);
}
