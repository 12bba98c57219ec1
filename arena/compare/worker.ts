/**
 * One preference run of a comparison, in its own process (`node worker.js SPEC`, or through tsx
 * from source):
 * trains the method at its learning rate and seed from the SFT model, answers the test questions,
 * and writes `result.json` atomically — its presence marks the run finished, so a stopped
 * comparison resumes by skipping it. Output goes to the caller (a log file).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readJsonl, TrainingDiverged, UserError, writeFileAtomic } from '../../core/index.ts';
import { registerReferenceDrift } from '../metrics/reference-drift.ts';
import type { RunResult } from './analysis.ts';
import type { CompareConfig, MethodSpec } from './config.ts';
import { preferenceRunConfig, trainAndTest } from './runs.ts';
import { summarizeRun, type TaskNumbers } from './summary.ts';

/** What the parent hands a worker (as a JSON file). */
export interface WorkerSpec {
  config: CompareConfig;
  method: MethodSpec;
  learningRate: number;
  lrLabel: string;
  seed: number;
  runDir: string;
  /** Gradient threads of the run (train.workers). */
  threads: number;
  files: { train: string; eval: string; test: string; sftModelDir: string };
  /** The SFT model's test numbers (the run's "before"). */
  sft: TaskNumbers;
}

export const RESULT_FILE = 'result.json';
/** The training run's own directory inside the run folder (train() wants a new or empty one). */
export const TRAIN_DIR = 'train';

export async function runWorker(spec: WorkerSpec): Promise<RunResult> {
  registerReferenceDrift();
  const test = (await readJsonl(spec.files.test)).map(({ value }) => {
    const v = value as { prompt: string; answer: number };
    return { prompt: v.prompt, answer: v.answer };
  });
  const raw = preferenceRunConfig(spec.config, { method: spec.method, learningRate: spec.learningRate, seed: spec.seed }, spec.files, path.join(spec.runDir, TRAIN_DIR), spec.threads);
  const started = Date.now();
  const run = { method: spec.method.label, lrLabel: spec.lrLabel, learningRate: spec.learningRate, seed: spec.seed };
  let result: RunResult;
  try {
    const finished = await trainAndTest(
      { config: spec.config, test, stream: process.stderr, interactive: false },
      raw,
      `${spec.method.label} lr ${spec.lrLabel} seed ${spec.seed}`,
      spec.config.preference.steps,
    );
    result = {
      summary: summarizeRun(run, finished.history, spec.sft),
      correct: finished.final.correct,
      samples: finished.final.generations.slice(0, 3).map((g) => g.text),
      seconds: (Date.now() - started) / 1000,
    };
  } catch (error) {
    if (!(error instanceof TrainingDiverged)) throw error;
    // A diverged run is a result, not a crash: its model is unusable, so it answers nothing right.
    const summary = { ...summarizeRun(run, [], spec.sft), accuracyAfter: 0, malformedAfter: 1 };
    result = { summary, correct: test.map(() => 0), samples: [], seconds: (Date.now() - started) / 1000, diverged: error.message };
  }
  await writeFileAtomic(path.join(spec.runDir, RESULT_FILE), `${JSON.stringify(result)}\n`);
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const spec = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as WorkerSpec;
  try {
    await runWorker(spec);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    process.stderr.write(`prefopt: ${error.message}\n`);
    process.exitCode = 1;
  }
}
