/**
 * The training runs of a comparison, each an ordinary `train()` of a config built here: the SFT
 * run (a fresh tiny Llama with the task tokenizer) and the preference runs that start from its
 * `model/` directory (also the reference, log-probs precomputed). The test split is answered by
 * generation through the trainer's task-metric hook at the end of each run, so the numbers land in
 * metrics.jsonl as `eval_accuracy`, `eval_malformed`, ...; the per-question scores come back too.
 */
import path from 'node:path';
import { MetricsLog, resolveConfig, train, type BackendConfig, type TrainResult } from '../../core/index.ts';
import type { CompareConfig, MethodSpec } from './config.ts';
import type { MetricsRecord } from './summary.ts';
import { taskMetricHook, type TaskEvalResult, type TestItem } from './task-eval.ts';

export interface FinishedRun {
  result: TrainResult;
  history: MetricsRecord[];
  /** The final test evaluation (metrics, per-question scores, generations). */
  final: TaskEvalResult;
}

export interface TrainingContext {
  config: CompareConfig;
  test: readonly TestItem[];
  /** Progress lines and the trainer's bar. */
  stream: NodeJS.WriteStream;
  interactive?: boolean;
}

/**
 * The run config of an SFT model, trained with `seed` (init and data order). Alone, its gradients
 * use every core (train.workers' default); beside other runs, `threads` of them.
 */
export function sftRunConfig(config: CompareConfig, files: { sftTrain: string; sftEval: string; tokenizerDir: string }, runDir: string, seed = config.sft.seed, threads?: number): Record<string, unknown> {
  const sft = config.sft;
  return {
    stage: 'sft',
    model: { init: { model_type: 'llama', ...sft.model }, tokenizer: files.tokenizerDir },
    data: { train: files.sftTrain, eval: files.sftEval, maxLength: config.maxLength },
    train: {
      seed, maxSteps: sft.steps, batchSize: sft.batchSize, learningRate: sft.learningRate, weightDecay: sft.weightDecay, warmupRatio: 0.05, schedule: 'cosine',
      maxGradNorm: 1, logEvery: Math.max(1, Math.round(sft.steps / 15)), evalEvery: 0, saveEvery: 0, ...(threads === undefined ? {} : { workers: threads }),
    },
    backend: config.backend as BackendConfig,
    output: runDir,
  };
}

/** The run config of one preference run: a method at a learning rate and seed, from the SFT model. */
export function preferenceRunConfig(
  config: CompareConfig,
  run: { method: MethodSpec; learningRate: number; seed: number },
  files: { train: string; eval: string; sftModelDir: string },
  runDir: string,
  /** Gradient threads of this run (train.workers): the cores left to it by the runs beside it. */
  threads = 1,
): Record<string, unknown> {
  const p = config.preference;
  return {
    stage: 'preference',
    model: { path: files.sftModelDir },
    data: { train: files.train, eval: files.eval, maxLength: config.maxLength },
    loss: structuredClone(run.method.loss),
    train: {
      seed: run.seed, maxSteps: p.steps, batchSize: p.batchSize, learningRate: run.learningRate, warmupRatio: p.warmupRatio, schedule: 'constant',
      maxGradNorm: 1, logEvery: p.logEvery, evalEvery: p.evalEvery, saveEvery: 0, precomputeReference: true, workers: threads,
    },
    backend: config.backend as BackendConfig,
    plugins: config.plugins,
    output: runDir,
  };
}

/** Trains a run config, answering the test questions at the end (evaluations during training use the eval split only). */
export async function trainAndTest(context: TrainingContext, raw: Record<string, unknown>, source: string, totalSteps: number): Promise<FinishedRun> {
  // The run config names its plugins; resolving it loads them into a registry of its own.
  const loaded = await resolveConfig(raw, { source, baseDir: process.cwd() });
  let last: TaskEvalResult | undefined;
  const log = (line: string) => context.stream.write(`${line}\n`);
  const none: TestItem[] = [];
  const hook = taskMetricHook((step) => (step >= totalSteps ? context.test : none), { ...context.config.generation, log }, (result, step) => {
    if (step >= totalSteps) last = result;
  });
  const result = await train(loaded, { taskMetrics: hook, progressStream: context.stream, interactive: context.interactive });
  const history = (await new MetricsLog(path.join(result.runDir, 'metrics.jsonl')).read()) as MetricsRecord[];
  if (!last) throw new Error(`${source}: the final test evaluation did not run`);
  return { result, history, final: last };
}
