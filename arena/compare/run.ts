/**
 * A comparison end to end: (1) the task's data, (2) the SFT model (trained once, then the start and
 * reference of every preference run), (3) the preference pairs — close pairs from the generator or
 * on-policy pairs sampled from the SFT model, (4) every method x learning rate x seed in parallel
 * child processes, (5) the table, paired comparisons, plots, report.md and results.json.
 *
 * Resumable: each finished step leaves a marker written atomically (sft/result.json,
 * data/on-policy.json, runs/<id>/result.json; a run trains into runs/<id>/train/); running the same config into the same folder
 * again skips what is done and redoes what was interrupted. Stage lines go to `stream` (stderr),
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
import type { MetricsRecord, TaskNumbers } from './summary.ts';
import { formatTextTable } from './table.ts';
import { RESULT_FILE, TRAIN_DIR, type WorkerSpec } from './worker.ts';

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
  sections?: (analysis: Analysis, context: { sft: SftResult; methods: string[]; learningRates: number[] }) => { heading: string; lines: string[] }[];
}

/** The SFT model's test numbers, kept in sft/result.json. */
export interface SftResult extends TaskNumbers {
  correct: number[];
  samples: string[];
  seconds: number;
}

export interface CompareResult {
  outDir: string;
  analysis: Analysis;
  runs: RunResult[];
  sft: SftResult;
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

async function trainSft(options: CompareOptions, data: ComparisonData, stream: NodeJS.WriteStream): Promise<SftResult> {
  const dir = path.join(options.outDir, 'sft');
  const marker = path.join(dir, RESULT_FILE);
  if (await exists(marker)) return JSON.parse(await readFile(marker, 'utf8')) as SftResult;
  await rm(dir, { recursive: true, force: true });
  const { config } = options;
  const raw = sftRunConfig(config, { ...data.files, tokenizerDir: data.tokenizerDir }, dir);
  const finished = await trainAndTest({ config, test: data.test, stream, interactive: options.interactive }, raw, `${config.name}: sft`, config.sft.steps);
  const result: SftResult = {
    accuracy: finished.final.metrics.accuracy,
    malformed: finished.final.metrics.malformed,
    repeated_ngrams: finished.final.metrics.repeated_ngrams,
    correct: finished.final.correct,
    samples: finished.final.generations.slice(0, 3).map((g) => g.text),
    seconds: finished.result.seconds,
  };
  await writeFileAtomic(marker, `${JSON.stringify(result)}\n`);
  return result;
}

/** The preference pairs' files: the close pairs as generated, or on-policy pairs sampled once. */
async function preferencePairs(options: CompareOptions, data: ComparisonData, stream: NodeJS.WriteStream): Promise<{ train: string; eval: string; note: string }> {
  const task = options.config.task;
  if (task.pairs === 'close') {
    return { train: data.files.closeTrain, eval: data.files.closeEval, note: `close pairs: chosen = the correct solution, rejected = the same with one intermediate result wrong (carried to the answer); ${data.counts.preferenceTrain} train / ${data.counts.eval} eval` };
  }
  const files = { train: path.join(data.dir, 'on-policy-train.jsonl'), eval: path.join(data.dir, 'on-policy-eval.jsonl') };
  const marker = path.join(data.dir, 'on-policy.json');
  let counts: Record<string, { questions: number; pairs: number; allCorrect: number; allWrong: number }>;
  if (await exists(marker)) counts = JSON.parse(await readFile(marker, 'utf8'));
  else {
    const sampling = { samples: task.samples, temperature: task.temperature, maxNewTokens: options.config.generation.maxNewTokens, batchSize: options.config.generation.batchSize, log: (l: string) => stream.write(`${l}\n`) };
    counts = {};
    for (const split of ['train', 'eval'] as const) {
      const result = await samplePairs(path.join(options.outDir, 'sft', 'model'), data.preferenceQuestions[split], { ...sampling, seed: task.seed * 1000 + (split === 'train' ? 1 : 2) });
      if (result.pairs.length === 0) throw new UserError(`on-policy pairs: none of the ${result.questions} ${split} questions had both a correct and a wrong sample (${result.allCorrect} all correct, ${result.allWrong} all wrong); raise task.samples or use task.pairs: close`);
      await writePairs(files[split], result.pairs);
      counts[split] = { questions: result.questions, pairs: result.pairs.length, allCorrect: result.allCorrect, allWrong: result.allWrong };
    }
    await writeFileAtomic(marker, `${JSON.stringify(counts)}\n`);
  }
  const t = counts.train!, e = counts.eval!;
  return {
    ...files,
    note: `on-policy pairs: ${task.samples} samples per question from the SFT model at temperature ${task.temperature}, chosen = a correct sample, rejected = a wrong one; ${t.pairs} train pairs from ${t.questions} questions (${t.allCorrect} all correct, ${t.allWrong} all wrong: no pair), ${e.pairs} eval pairs from ${e.questions}`,
  };
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
  const sftModelDir = path.join(outDir, 'sft', 'model');
  const grid = methods.flatMap((method) => config.learningRates.flatMap((lr) => config.seeds.map((seed) => ({ method, lr, seed, id: runId(method.label, lr, seed) }))));
  for (const method of methods) {
    const raw = preferenceRunConfig(config, { method, learningRate: config.learningRates[0]!, seed: config.seeds[0]! }, { train: data.files.closeTrain, eval: data.files.closeEval, sftModelDir }, path.join(outDir, 'runs', 'check'));
    await resolveConfig(raw, { source: `losses: ${method.label}`, baseDir: process.cwd() });
  }

  stage(`2/5 SFT: ${config.sft.steps} steps from scratch, then test accuracy by greedy generation`);
  const sft = await trainSft(options, data, stream);
  stream.write(`SFT model: test accuracy ${(100 * sft.accuracy).toFixed(1)}% (${sft.correct.reduce((a, b) => a + b, 0)}/${sft.correct.length}), malformed ${(100 * sft.malformed).toFixed(1)}%\n`);

  stage(`3/5 preference pairs (${config.task.pairs})`);
  const pairs = await preferencePairs(options, data, stream);
  stream.write(`${pairs.note}\n`);

  const finishedIds = new Set<string>();
  for (const run of grid) if (await exists(path.join(outDir, 'runs', run.id, RESULT_FILE))) finishedIds.add(run.id);
  const todo = grid.filter((r) => !finishedIds.has(r.id));
  // Runs side by side share the cores: each gets its share as gradient threads (train.workers).
  const threads = Math.max(1, Math.floor(availableParallelism() / Math.min(workers, Math.max(1, todo.length))));
  stage(`4/5 preference runs: ${methods.map((m) => m.label).join(', ')} x lr ${config.learningRates.map(lrLabel).join(', ')} x seeds ${config.seeds.join(', ')} = ${grid.length} runs, ${Math.min(workers, Math.max(1, todo.length))} at a time (${threads} gradient thread${threads > 1 ? 's' : ''} each)${finishedIds.size ? ` (${finishedIds.size} finished before: skipped)` : ''}`);
  let done = 0;
  await runPool(todo, workers, async (run) => {
    const runDir = path.join(outDir, 'runs', run.id);
    await rm(runDir, { recursive: true, force: true }); // an unfinished run starts over
    await mkdir(runDir, { recursive: true });
    const spec: WorkerSpec = {
      config, method: run.method, learningRate: run.lr, lrLabel: lrLabel(run.lr), seed: run.seed, runDir, threads,
      files: { train: pairs.train, eval: pairs.eval, test: data.files.test, sftModelDir },
      sft: { accuracy: sft.accuracy, malformed: sft.malformed, repeated_ngrams: sft.repeated_ngrams },
    };
    const specFile = path.join(runDir, 'spec.json');
    await writeFileAtomic(specFile, `${JSON.stringify(spec, null, 2)}\n`);
    stream.write(`  start ${run.id}\n`);
    try {
      await spawnWorker(specFile, path.join(runDir, 'log.txt'));
    } catch (error) {
      if (error instanceof WorkerFailed) throw new UserError(`run ${run.id} failed (${error.message})`);
      throw error;
    }
    const result = JSON.parse(await readFile(path.join(runDir, RESULT_FILE), 'utf8')) as RunResult;
    done += 1;
    const s = result.summary;
    stream.write(`  [${done}/${todo.length}] ${run.id}: test accuracy ${(100 * s.accuracyBefore).toFixed(1)}% -> ${(100 * s.accuracyAfter).toFixed(1)}%${result.diverged ? ' (diverged)' : ''}, reward accuracy ${(100 * s.rewardAccuracy).toFixed(1)}% (${result.seconds.toFixed(0)} s) [${elapsed()}]\n`);
  });

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
  const analysis = analyze(runs, sft.correct, labels, { seed: config.task.seed });
  const sections = options.sections?.(analysis, { sft, methods: labels, learningRates: config.learningRates }) ?? [];
  const plots = await writePlots(outDir, buildPlots(plotted, sft.accuracy, labels));
  const seconds = (Date.now() - started) / 1000;
  const p = config.preference;
  const setup = [
    `${describeBackend()}, ${cpus().length} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${workers} runs at a time; this invocation took ${formatDuration(seconds)}${finishedIds.size ? ` (${finishedIds.size} runs finished by an earlier one)` : ''}`,
    `task: synthetic arithmetic word problems (arena/task, seed ${config.task.seed}, every number <= ${config.task.maxNumber}, at most ${config.task.maxSteps} steps); ${data.counts.sftTrain} SFT train / ${data.counts.preferenceTrain} preference train / ${data.counts.eval} eval / ${data.counts.test} test problems, disjoint`,
    `model: Llama, hidden ${config.sft.model.hidden_size}, ${config.sft.model.num_hidden_layers} layers, ${config.sft.model.num_attention_heads} heads (${config.sft.model.num_key_value_heads ?? config.sft.model.num_attention_heads} kv), task tokenizer (characters; numbers 0-99 and the task's words one token each), trained from scratch`,
    `SFT: ${config.sft.steps} steps, batch ${config.sft.batchSize}, AdamW lr ${config.sft.learningRate} cosine, seed ${config.sft.seed}: test accuracy ${(100 * sft.accuracy).toFixed(1)}%`,
    pairs.note,
    `preference: ${labels.join(', ')}; ${p.steps} steps, batch ${p.batchSize} pairs, constant lr after ${Math.round(100 * p.warmupRatio)}% warmup at ${config.learningRates.map(lrLabel).join(', ')}, grad-norm clip 1, reference = the SFT model; seeds ${config.seeds.join(', ')} (a seed sets the preference run's data order; every seed starts from the same SFT model)`,
    `evaluation: greedy generation (KV cache, at most ${config.generation.maxNewTokens} new tokens) on all ${data.counts.test} test questions at the end of each run; reward metrics on the eval pairs`,
  ];
  const firstSeed = config.seeds[0];
  const samples = [
    { heading: 'SFT model', texts: sft.samples },
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
  await writeFileAtomic(path.join(outDir, 'results.json'), `${JSON.stringify({ config, seconds, sft, runs, rows: analysis.rows, comparisons: analysis.comparisons, sections }, null, 2)}\n`);
  await writeFileAtomic(path.join(outDir, 'report.md'), report);
  const table = formatTextTable(analysis.rows);
  const extra = sections.flatMap((s) => [`${s.heading}:`, ...s.lines.map((l) => `  ${l}`)]);
  out.write(`\n${table}\n\nPaired comparisons (95% bootstrap interval over seeds x questions):\n${analysis.lines.map((l) => `  ${l}`).join('\n')}\n${extra.length ? `\n${extra.join('\n')}\n` : ''}\nreport: ${path.join(outDir, 'report.md')} (${formatDuration(seconds)})\n`);
  return { outDir, analysis, runs, sft, seconds, resumed: finishedIds.size };
}
