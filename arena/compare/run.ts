/**
 * A comparison end to end: (1) the task's data, (2) the SFT model — one, the start and reference of
 * every preference run, or (`sft.perSeed`) one per seed, trained with that seed, the start of that
 * seed's runs, so that the intervals cover the SFT model's variance too; a seed's runs then start
 * as soon as its own SFT model is ready, beside the SFT runs of later seeds — (3) the preference pairs:
 * close pairs from the generator or on-policy pairs sampled from each SFT model, (4) every method x
 * learning rate x seed in parallel child processes, (5) the table, paired comparisons, plots,
 * report.md and results.json.
 *
 * Resumable: each finished step leaves a marker written atomically (sft/result.json or
 * sft/seed-<s>/result.json, their on-policy.json, runs/<id>/result.json; a run trains into
 * <its folder>/train/); running the same config into the same folder again skips what is done and
 * redoes what was interrupted. Stage lines go to `stream` (stderr),
 * the table and comparisons to `out` (stdout).
 */
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { describeBackend, readJsonl, resolveConfig, selectBackend, UserError, writeFileAtomic, writePlots } from '../../core/index.ts';
import { registerReferenceDrift } from '../metrics/reference-drift.ts';
import { isCorrect } from '../task/index.ts';
import { analyze, type Analysis, type RunResult } from './analysis.ts';
import { methodsOf, type CompareConfig } from './config.ts';
import { writeComparisonData, type ComparisonData } from './data.ts';
import { degeneration } from './degeneration.ts';
import { samplePairs, writePairs } from './on-policy.ts';
import { runPool, spawnWorker, WorkerFailed } from './pool.ts';
import { buildReport } from './report.ts';
import { preferenceRunConfig, sftRunConfig, trainAndTest } from './runs.ts';
import { buildPlots } from './series.ts';
import type { MetricsRecord } from './summary.ts';
import { meanSe } from '../stats/index.ts';
import { formatTextTable } from './table.ts';
import { RESULT_FILE, runSft, TRAIN_DIR, type PreferenceSpec, type SftResult, type SftSpec, type WorkerSpec } from './worker.ts';

export type { SftResult } from './worker.ts';

export interface CompareOptions {
  config: CompareConfig;
  outDir: string;
  /** Runs at once; default config.workers, else the machine's cores. */
  workers?: number;
  stream?: NodeJS.WriteStream;
  out?: NodeJS.WritableStream;
  interactive?: boolean;
  /** Report title and intro (default: a generic comparison). */
  title?: string;
  intro?: string[];
  /** Extra report sections computed from the analysis (e.g. the paper's claims). */
  sections?: (analysis: Analysis, context: { sftModels: SftResult[]; methods: string[]; learningRates: number[] }) => { heading: string; lines: string[] }[];
}

export interface CompareResult {
  outDir: string;
  analysis: Analysis;
  runs: RunResult[];
  /** The SFT models: one, or one per seed (sft.perSeed), in seed order. */
  sftModels: SftResult[];
  seconds: number;
  /** Runs skipped because a previous invocation finished them. */
  resumed: number;
}

const exists = (file: string) => stat(file).then(() => true, () => false);
const lrLabel = (lr: number) => lr.toExponential().replace(/\.?0+e/, 'e').replace('e+', 'e');
const runId = (method: string, lr: number, seed: number) => `${method.replace(/[^A-Za-z0-9._+-]+/g, '_')}-lr${lrLabel(lr)}-seed${seed}`;

function formatDuration(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(1)} s`;
}

/** Refuses a folder holding a different comparison; records this one's config otherwise. */
async function claimFolder(outDir: string, config: CompareConfig): Promise<void> {
  const file = path.join(outDir, 'comparison.json');
  const { output: _output, workers: _workers, ...fingerprint } = config;
  const text = `${JSON.stringify(fingerprint, null, 2)}\n`;
  if (await exists(file)) {
    if ((await readFile(file, 'utf8')) !== text) throw new UserError(`${outDir} holds a different comparison (its comparison.json differs); choose another output folder`);
    return;
  }
  await writeFileAtomic(file, text);
}

/** An SFT model of the comparison: trained with `seed` into `dir`, the start and reference of the runs of `seeds`. */
interface SftStart {
  seed: number;
  dir: string;
  seeds: number[];
}

function sftStarts(config: CompareConfig, outDir: string): SftStart[] {
  if (!config.sft.perSeed) return [{ seed: config.sft.seed, dir: path.join(outDir, 'sft'), seeds: config.seeds }];
  return config.seeds.map((seed) => ({ seed, dir: path.join(outDir, 'sft', `seed-${seed}`), seeds: [seed] }));
}

const modelDirOf = (start: SftStart) => path.join(start.dir, TRAIN_DIR, 'model');

/** Runs a worker on `spec` (written to <runDir>/spec.json, output to <runDir>/log.txt); a failure is a UserError naming the run. */
async function runInWorker(spec: WorkerSpec, id: string): Promise<void> {
  await rm(spec.runDir, { recursive: true, force: true }); // an unfinished run starts over
  await mkdir(spec.runDir, { recursive: true });
  const specFile = path.join(spec.runDir, 'spec.json');
  await writeFileAtomic(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  try {
    await spawnWorker(specFile, path.join(spec.runDir, 'log.txt'));
  } catch (error) {
    if (error instanceof WorkerFailed) throw new UserError(`run ${id} failed (${error.message})`);
    throw error;
  }
}

/** Cores per run when `parallel` runs share the machine (each run's gradient threads, train.workers). */
const threadsPer = (parallel: number) => Math.max(1, Math.floor(availableParallelism() / Math.max(1, parallel)));

/** The SFT models a previous invocation finished (their result.json markers). */
async function finishedSftModels(starts: SftStart[]): Promise<Map<SftStart, SftResult>> {
  const done = new Map<SftStart, SftResult>();
  for (const start of starts) {
    const marker = path.join(start.dir, RESULT_FILE);
    if (await exists(marker)) done.set(start, JSON.parse(await readFile(marker, 'utf8')) as SftResult);
  }
  return done;
}

const sftSpecOf = (config: CompareConfig, data: ComparisonData, start: SftStart, threads?: number): SftSpec => ({
  kind: 'sft', config, seed: start.seed, runDir: start.dir, threads,
  files: { sftTrain: data.files.sftTrain, sftEval: data.files.sftEval, tokenizerDir: data.tokenizerDir, test: data.files.test },
});

/** Trains the SFT model of `start` in a worker process with `threads` gradient threads; its result, logged. */
async function trainSftInWorker(config: CompareConfig, data: ComparisonData, start: SftStart, threads: number, stream: NodeJS.WriteStream, elapsed: () => string): Promise<SftResult> {
  stream.write(`  start sft seed ${start.seed}\n`);
  await runInWorker(sftSpecOf(config, data, start, threads), `sft seed ${start.seed}`);
  const result = JSON.parse(await readFile(path.join(start.dir, RESULT_FILE), 'utf8')) as SftResult;
  stream.write(`  sft seed ${start.seed}: test accuracy ${(100 * result.accuracy).toFixed(1)}% (${result.seconds.toFixed(0)} s) [${elapsed()}]\n`);
  return result;
}

/** The one SFT model of a comparison without sft.perSeed, trained in this process (with the progress bar) unless a previous invocation finished it. */
async function sharedSftModel(options: CompareOptions, data: ComparisonData, start: SftStart, stream: NodeJS.WriteStream): Promise<SftResult> {
  const finished = (await finishedSftModels([start])).get(start);
  if (finished) return finished;
  await rm(start.dir, { recursive: true, force: true });
  await mkdir(start.dir, { recursive: true });
  return runSft(sftSpecOf(options.config, data, start), stream, options.interactive);
}

type PairCounts = Record<'train' | 'eval', { questions: number; pairs: number; allCorrect: number; allWrong: number }>;

/** The preference pairs' files of the runs from `start`: the close pairs as generated, or on-policy pairs sampled once from its SFT model. */
async function preferencePairs(options: CompareOptions, data: ComparisonData, start: SftStart, stream: NodeJS.WriteStream): Promise<{ train: string; eval: string; counts?: PairCounts }> {
  const task = options.config.task;
  if (task.pairs === 'close') return { train: data.files.closeTrain, eval: data.files.closeEval };
  const files = { train: path.join(start.dir, 'on-policy-train.jsonl'), eval: path.join(start.dir, 'on-policy-eval.jsonl') };
  const marker = path.join(start.dir, 'on-policy.json');
  if (await exists(marker)) return { ...files, counts: JSON.parse(await readFile(marker, 'utf8')) as PairCounts };
  const sampling = { samples: task.samples, temperature: task.temperature, maxNewTokens: options.config.generation.maxNewTokens, batchSize: options.config.generation.batchSize, log: (l: string) => stream.write(`${l}\n`) };
  const counts = {} as PairCounts;
  for (const split of ['train', 'eval'] as const) {
    const seed = task.seed * 1000 + (options.config.sft.perSeed ? start.seed * 10 : 0) + (split === 'train' ? 1 : 2);
    const result = await samplePairs(modelDirOf(start), data.preferenceQuestions[split], { ...sampling, seed });
    if (result.pairs.length === 0) throw new UserError(`on-policy pairs: none of the ${result.questions} ${split} questions had both a correct and a wrong sample from the SFT model of seed ${start.seed} (${result.allCorrect} all correct, ${result.allWrong} all wrong); raise task.samples or use task.pairs: close`);
    await writePairs(files[split], result.pairs);
    counts[split] = { questions: result.questions, pairs: result.pairs.length, allCorrect: result.allCorrect, allWrong: result.allWrong };
  }
  await writeFileAtomic(marker, `${JSON.stringify(counts)}\n`);
  return { ...files, counts };
}

/** The pairs in words, for the report. */
function describePairs(config: CompareConfig, data: ComparisonData, pairs: { start: SftStart; counts?: PairCounts }[]): string {
  const task = config.task;
  if (task.pairs === 'close') return `close pairs: chosen = the correct solution, rejected = the same with one intermediate result wrong (carried to the answer); ${data.counts.preferenceTrain} train / ${data.counts.eval} eval`;
  const one = ({ start, counts }: { start: SftStart; counts?: PairCounts }) => {
    const t = counts!.train, e = counts!.eval;
    return `${pairs.length > 1 ? `SFT seed ${start.seed}: ` : ''}${t.pairs} train pairs from ${t.questions} questions (${t.allCorrect} all correct, ${t.allWrong} all wrong: no pair), ${e.pairs} eval pairs from ${e.questions}`;
  };
  return `on-policy pairs: ${task.samples} samples per question from the SFT model at temperature ${task.temperature}, chosen = a correct sample, rejected = a wrong one; ${pairs.map(one).join('; ')}`;
}

export async function runComparison(options: CompareOptions): Promise<CompareResult> {
  const { config, outDir } = options;
  const stream = options.stream ?? process.stderr;
  const out = options.out ?? process.stdout;
  const started = Date.now();
  const elapsed = () => formatDuration((Date.now() - started) / 1000);
  const stage = (text: string) => stream.write(`\n== ${text} [${elapsed()}]\n`);
  const methods = methodsOf(config);
  const workers = options.workers ?? config.workers ?? availableParallelism();
  await mkdir(outDir, { recursive: true });
  await claimFolder(outDir, config);
  registerReferenceDrift();
  await selectBackend(config.backend); // this process generates too (on-policy pairs), not only train()

  stage(`1/5 data: arithmetic task (seed ${config.task.seed}, numbers <= ${config.task.maxNumber}, at most ${config.task.maxSteps} steps) -> ${path.join(outDir, 'data')}`);
  const data = await writeComparisonData(outDir, config.task);
  stream.write(`${data.counts.sftTrain} SFT train, ${data.counts.preferenceTrain} preference train, ${data.counts.eval} eval, ${data.counts.test} test problems\n`);

  // Every run's config is checked before anything trains: a bad param fails now, not after the SFT.
  const starts = sftStarts(config, outDir);
  const startOf = (seed: number) => starts.find((s) => s.seeds.includes(seed))!;
  const grid = methods.flatMap((method) => config.learningRates.flatMap((lr) => config.seeds.map((seed) => ({ method, lr, seed, id: runId(method.label, lr, seed) }))));
  for (const method of methods) {
    const raw = preferenceRunConfig(config, { method, learningRate: config.learningRates[0]!, seed: config.seeds[0]! }, { train: data.files.closeTrain, eval: data.files.closeEval, sftModelDir: modelDirOf(starts[0]!) }, path.join(outDir, 'runs', 'check'));
    await resolveConfig(raw, { source: `losses: ${method.label}`, baseDir: process.cwd() });
  }

  stage(`2/5 SFT: ${starts.length > 1 ? `one model per seed (${starts.map((s) => s.seed).join(', ')}), ` : ''}${config.sft.steps} steps from scratch, then test accuracy by greedy generation`);
  const sftResults = new Map<SftStart, SftResult>();
  const pairsOf = new Map<SftStart, { train: string; eval: string; counts?: PairCounts }>();
  const finishedIds = new Set<string>();
  for (const run of grid) if (await exists(path.join(outDir, 'runs', run.id, RESULT_FILE))) finishedIds.add(run.id);
  const todo = grid.filter((r) => !finishedIds.has(r.id));
  // Jobs side by side share the cores: each gets its share as gradient threads (train.workers).
  const runThreads = threadsPer(Math.min(workers, todo.length));
  /** The preference grid in words. */
  const runsLine = () => {
    const parallel = Math.min(workers, Math.max(1, todo.length));
    return `${methods.map((m) => m.label).join(', ')} x lr ${config.learningRates.map(lrLabel).join(', ')} x seeds ${config.seeds.join(', ')} = ${grid.length} runs`
      + `, ${parallel} at a time (${runThreads} gradient thread${runThreads > 1 ? 's' : ''} each)${finishedIds.size ? ` (${finishedIds.size} finished before: skipped)` : ''}`;
  };
  let done = 0;
  const runPreference = async (run: (typeof grid)[number]) => {
    const runDir = path.join(outDir, 'runs', run.id);
    const start = startOf(run.seed), pairs = pairsOf.get(start)!, sft = sftResults.get(start)!;
    const spec: PreferenceSpec = {
      kind: 'preference', config, method: run.method, learningRate: run.lr, lrLabel: lrLabel(run.lr), seed: run.seed, runDir, threads: runThreads,
      files: { train: pairs.train, eval: pairs.eval, test: data.files.test, sftModelDir: modelDirOf(start) },
      sft: { accuracy: sft.accuracy, malformed: sft.malformed, repeated_ngrams: sft.repeated_ngrams },
    };
    stream.write(`  start ${run.id}\n`);
    await runInWorker(spec, run.id);
    const result = JSON.parse(await readFile(path.join(runDir, RESULT_FILE), 'utf8')) as RunResult;
    done += 1;
    const s = result.summary;
    stream.write(`  [${done}/${todo.length}] ${run.id}: test accuracy ${(100 * s.accuracyBefore).toFixed(1)}% -> ${(100 * s.accuracyAfter).toFixed(1)}%${result.diverged ? ' (diverged)' : ''}, reward accuracy ${(100 * s.rewardAccuracy).toFixed(1)}% (${result.seconds.toFixed(0)} s) [${elapsed()}]\n`);
  };
  const sftSummary = () => {
    const models = starts.map((s) => sftResults.get(s)!);
    for (const sft of models) stream.write(`SFT model${starts.length > 1 ? ` (seed ${sft.seed})` : ''}: test accuracy ${(100 * sft.accuracy).toFixed(1)}% (${sft.correct.reduce((a, b) => a + b, 0)}/${sft.correct.length}), malformed ${(100 * sft.malformed).toFixed(1)}%\n`);
    if (starts.length > 1) {
      const spread = meanSe(models.map((m) => m.accuracy));
      stream.write(`SFT models: test accuracy ${(100 * spread.mean).toFixed(1)} ± ${(100 * spread.se).toFixed(1)}% (mean ± standard error over ${starts.length} seeds)\n`);
    }
  };
  const pairsNote = () => describePairs(config, data, starts.map((start) => ({ start, counts: pairsOf.get(start)!.counts })));

  if (!config.sft.perSeed) {
    const start = starts[0]!;
    sftResults.set(start, await sharedSftModel(options, data, start, stream));
    sftSummary();
    stage(`3/5 preference pairs (${config.task.pairs})`);
    pairsOf.set(start, await preferencePairs(options, data, start, stream));
    stream.write(`${pairsNote()}\n`);
    stage(`4/5 preference runs: ${runsLine()}`);
    await runPool(todo, workers, runPreference);
  } else {
    // One SFT model per seed: a seed's preference runs start as soon as its SFT model (and its
    // pairs) is ready, beside the SFT runs of later seeds, so no core idles while the last SFT
    // models train. Jobs are ordered SFT first, then runs seed by seed; a lane that draws a run
    // whose SFT model is still training waits for it.
    for (const [start, result] of await finishedSftModels(starts)) sftResults.set(start, result);
    const sftTodo = starts.filter((s) => !sftResults.has(s));
    const sftThreads = threadsPer(Math.min(workers, sftTodo.length));
    // A seed's preparation (SFT model, then pairs), recorded when it starts: every SFT job is
    // drawn before any run, so a run always finds its seed's here.
    const prepared = new Map<SftStart, Promise<void>>();
    const prepare = (start: SftStart): Promise<void> => {
      const done = (async () => {
        if (!sftResults.has(start)) sftResults.set(start, await trainSftInWorker(config, data, start, sftThreads, stream, elapsed));
        pairsOf.set(start, await preferencePairs(options, data, start, stream));
      })();
      prepared.set(start, done);
      return done;
    };
    stream.write(`${sftTodo.length} SFT model${sftTodo.length === 1 ? '' : 's'} to train (${sftThreads} gradient thread${sftThreads > 1 ? 's' : ''} each)${sftResults.size ? ` (${sftResults.size} finished before: reused)` : ''}, then ${config.task.pairs} pairs (3/5) and preference runs (4/5): ${runsLine()}; a seed's runs start as soon as its SFT model is ready\n`);
    for (const start of starts) if (sftResults.has(start)) await prepare(start);
    const bySeed = [...todo].sort((x, y) => config.seeds.indexOf(x.seed) - config.seeds.indexOf(y.seed));
    const jobs = [...sftTodo.map((start) => ({ start })), ...bySeed.map((run) => ({ run }))];
    await runPool(jobs, workers, async (job) => {
      if ('start' in job) return prepare(job.start);
      await prepared.get(startOf(job.run.seed))!;
      await runPreference(job.run);
    });
    sftSummary();
    stream.write(`${pairsNote()}\n`);
  }
  const sftModels = starts.map((s) => sftResults.get(s)!);
  const sftOf = (seed: number) => sftResults.get(startOf(seed))!;
  const sftSpread = meanSe(sftModels.map((m) => m.accuracy));

  stage('5/5 report: table, paired comparisons, plots, report.md, results.json');
  const runs: RunResult[] = [];
  const plotted: { summary: RunResult['summary']; history: MetricsRecord[] }[] = [];
  for (const run of grid) {
    const runDir = path.join(outDir, 'runs', run.id);
    const result = JSON.parse(await readFile(path.join(runDir, RESULT_FILE), 'utf8')) as RunResult;
    runs.push(result);
    const history = await readJsonl(path.join(runDir, TRAIN_DIR, 'metrics.jsonl')).then((records) => records.map((r) => r.value as MetricsRecord), () => []);
    plotted.push({ summary: result.summary, history });
  }
  const labels = methods.map((m) => m.label);
  const analysis = analyze(runs, (seed) => sftOf(seed).correct, labels, { seed: config.task.seed });
  const sections = options.sections?.(analysis, { sftModels, methods: labels, learningRates: config.learningRates }) ?? [];
  const plots = await writePlots(outDir, buildPlots(plotted, sftModels, labels));
  const seconds = (Date.now() - started) / 1000;
  const p = config.preference;
  const setup = [
    `${describeBackend()}, ${cpus().length} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${workers} runs at a time; this invocation took ${formatDuration(seconds)}${finishedIds.size ? ` (${finishedIds.size} runs finished by an earlier one)` : ''}`,
    `task: synthetic arithmetic word problems (arena/task, seed ${config.task.seed}, every number <= ${config.task.maxNumber}, at most ${config.task.maxSteps} steps); ${data.counts.sftTrain} SFT train / ${data.counts.preferenceTrain} preference train / ${data.counts.eval} eval / ${data.counts.test} test problems, disjoint`,
    `model: Llama, hidden ${config.sft.model.hidden_size}, ${config.sft.model.num_hidden_layers} layers, ${config.sft.model.num_attention_heads} heads (${config.sft.model.num_key_value_heads ?? config.sft.model.num_attention_heads} kv), task tokenizer (characters; numbers 0-99 and the task's words one token each), trained from scratch`,
    `SFT: ${config.sft.steps} steps, batch ${config.sft.batchSize}, AdamW lr ${config.sft.learningRate} cosine, weight decay ${config.sft.weightDecay}, ${starts.length > 1
      ? `one model per seed (the seed sets its init and data order): test accuracy ${sftModels.map((m) => `${(100 * m.accuracy).toFixed(1)}%`).join(', ')} (mean ${(100 * sftSpread.mean).toFixed(1)} ± ${(100 * sftSpread.se).toFixed(1)})`
      : `seed ${config.sft.seed}: test accuracy ${(100 * sftModels[0]!.accuracy).toFixed(1)}%`}`,
    pairsNote(),
    `preference: ${labels.join(', ')}; ${p.steps} steps, batch ${p.batchSize} pairs, constant lr after ${Math.round(100 * p.warmupRatio)}% warmup at ${config.learningRates.map(lrLabel).join(', ')}, grad-norm clip 1, reference = the SFT model; seeds ${config.seeds.join(', ')} (a seed sets the preference run's data order; ${starts.length > 1 ? 'each seed starts from its own SFT model' : 'every seed starts from the same SFT model: the intervals do not cover the SFT model\'s variance'})`,
    `evaluation: greedy generation (KV cache, at most ${config.generation.maxNewTokens} new tokens) on all ${data.counts.test} test questions at the end of each run; reward metrics on the eval pairs`,
  ];
  const firstSeed = config.seeds[0];
  const samples = [
    { heading: starts.length > 1 ? `SFT model (seed ${sftModels[0]!.seed})` : 'SFT model', texts: sftModels[0]!.samples },
    ...runs.filter((r) => r.summary.seed === firstSeed && r.summary.learningRate === Math.max(...config.learningRates)).map((r) => ({ heading: `${r.summary.method}, lr ${r.summary.lrLabel}`, texts: r.samples })),
  ].map((s) => ({ heading: s.heading, items: s.texts.map((answer, i) => ({ prompt: data.test[i]!.prompt, answer, correct: isCorrect(answer, data.test[i]!.answer) })) }));
  const report = buildReport({
    title: options.title ?? `Comparison \`${config.name}\`: ${labels.join(', ')}`,
    intro: options.intro,
    setup,
    rows: analysis.rows,
    comparisons: analysis.lines,
    sections,
    plots,
    samples,
    referenceDegeneration: degeneration(data.testSolutions.map((text) => ({ text, finishReason: 'eos' as const }))),
  });
  await writeFileAtomic(path.join(outDir, 'results.json'), `${JSON.stringify({ config, seconds, sftModels, runs, rows: analysis.rows, comparisons: analysis.comparisons, sections }, null, 2)}\n`);
  await writeFileAtomic(path.join(outDir, 'report.md'), report);
  const table = formatTextTable(analysis.rows);
  const extra = sections.flatMap((s) => [`${s.heading}:`, ...s.lines.map((l) => `  ${l}`)]);
  out.write(`\n${table}\n\nPaired comparisons (95% bootstrap interval over seeds x questions):\n${analysis.lines.map((l) => `  ${l}`).join('\n')}\n${extra.length ? `\n${extra.join('\n')}\n` : ''}\nreport: ${path.join(outDir, 'report.md')} (${formatDuration(seconds)})\n`);
  return { outDir, analysis, runs, sftModels, seconds, resumed: finishedIds.size };
}
