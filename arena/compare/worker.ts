/**
 * One training run of a comparison, in its own process (`node worker.js SPEC`, or through tsx from
 * source), or in the comparison's own process for a lone SFT model: an SFT model trained from
 * scratch with its seed, or a preference run — a method at its learning rate and seed from an SFT
 * model. Either answers the test questions at the end and writes `result.json` atomically; its
 * presence marks the run finished, so a stopped comparison resumes by skipping it. Output goes to
 * the caller (a log file).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readJsonl, TrainingDiverged, UserError, writeFileAtomic } from '../../core/index.ts';
import { registerReferenceDrift } from '../metrics/reference-drift.ts';
import type { RunResult } from './analysis.ts';
import type { CompareConfig, MethodSpec } from './config.ts';
import { preferenceRunConfig, sftRunConfig, trainAndTest } from './runs.ts';
import { summarizeRun, type TaskNumbers } from './summary.ts';
import type { TestItem } from './task-eval.ts';

/** What the parent hands a worker for a preference run (as a JSON file). */
export interface PreferenceSpec {
  kind: 'preference';
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

/** What the parent hands a worker for an SFT model. */
export interface SftSpec {
  kind: 'sft';
  config: CompareConfig;
  /** The SFT run's seed (init and data order). */
  seed: number;
  runDir: string;
  /** Gradient threads (train.workers); absent: every core. */
  threads?: number;
  files: { sftTrain: string; sftEval: string; tokenizerDir: string; test: string };
}

export type WorkerSpec = PreferenceSpec | SftSpec;

/** An SFT model's test numbers, kept in its result.json. */
export interface SftResult extends TaskNumbers {
  /** The SFT run's seed. */
  seed: number;
  /** 1/0 per test question, in test order. */
  correct: number[];
  samples: string[];
  seconds: number;
}

export const RESULT_FILE = 'result.json';
/** The training run's own directory inside the run folder (train() wants a new or empty one). */
export const TRAIN_DIR = 'train';

async function readTest(file: string): Promise<TestItem[]> {
  return (await readJsonl(file)).map(({ value }) => {
    const v = value as { prompt: string; answer: number };
    return { prompt: v.prompt, answer: v.answer };
  });
}

/** Trains an SFT model into `<runDir>/train` (the model in its `model/`), tests it, writes result.json. */
export async function runSft(spec: SftSpec, stream: NodeJS.WriteStream = process.stderr, interactive = false): Promise<SftResult> {
  const test = await readTest(spec.files.test);
  const raw = sftRunConfig(spec.config, spec.files, path.join(spec.runDir, TRAIN_DIR), spec.seed, spec.threads);
  const finished = await trainAndTest({ config: spec.config, test, stream, interactive }, raw, `${spec.config.name}: sft seed ${spec.seed}`, spec.config.sft.steps);
  const result: SftResult = {
    seed: spec.seed,
    accuracy: finished.final.metrics.accuracy,
    malformed: finished.final.metrics.malformed,
    repeated_ngrams: finished.final.metrics.repeated_ngrams,
    correct: finished.final.correct,
    samples: finished.final.generations.slice(0, 3).map((g) => g.text),
    seconds: finished.result.seconds,
  };
  await writeFileAtomic(path.join(spec.runDir, RESULT_FILE), `${JSON.stringify(result)}\n`);
  return result;
}

/** Trains a preference run, tests it, writes result.json (a diverged run is a result: 0 correct). */
export async function runPreference(spec: PreferenceSpec): Promise<RunResult> {
  registerReferenceDrift();
  const test = await readTest(spec.files.test);
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
    if (spec.kind === 'sft') await runSft(spec);
    else await runPreference(spec);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    process.stderr.write(`prefopt: ${error.message}\n`);
    process.exitCode = 1;
  }
}
