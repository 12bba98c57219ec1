/**
 * The paper in miniature, end to end: (1) generate the data, (2) SFT a tiny model per seed,
 * (3) DPO and MinorDPO from that checkpoint at each learning rate, (4) the table, plots and
 * report.md. Stage lines and the trainer's progress go to `stream` (stderr); the table goes to
 * `out` (stdout).
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { createLossRegistry, describeBackend, UserError, writeFileAtomic, writePlots, type BackendConfig } from '../../core/index.ts';
import { registerReferenceDrift } from '../metrics/reference-drift.ts';
import { isCorrect } from '../task/index.ts';
import { writeExperimentData } from './data.ts';
import { degeneration } from './degeneration.ts';
import { buildPlots } from './series.ts';
import type { ReproduceProfile } from './profiles.ts';
import { buildReport } from './report.ts';
import { runPreference, runSft, type FinishedRun, type RunContext } from './runs.ts';
import { summarizeRun, tableRows, type RunSummary } from './summary.ts';
import { formatTextTable } from './table.ts';
import { verdict } from './verdict.ts';

export interface ReproduceOptions {
  profile: ReproduceProfile;
  /** The run folder (must not hold a reproduction already). */
  outDir: string;
  backend?: BackendConfig;
  stream?: NodeJS.WriteStream;
  out?: NodeJS.WritableStream;
  interactive?: boolean;
}

export interface ReproduceResult {
  outDir: string;
  runs: RunSummary[];
  table: string;
  seconds: number;
}

/** One finished preference run with what the report needs. */
interface PreferenceRun {
  summary: RunSummary;
  finished: FinishedRun;
  sftAccuracy: number;
}

const lrName = (lr: { label: string; value: number }) => `lr ${lr.value.toExponential(0)} (${lr.label})`;

export async function reproduce(options: ReproduceOptions): Promise<ReproduceResult> {
  const { profile, outDir } = options;
  const stream = options.stream ?? process.stderr;
  const out = options.out ?? process.stdout;
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  const stage = (text: string) => stream.write(`\n== ${text} [${elapsed()}]\n`);
  if (await stat(path.join(outDir, 'report.md')).then(() => true, () => false)) {
    throw new UserError(`${outDir} already holds a reproduction; choose another --out`);
  }
  registerReferenceDrift();
  const registry = await createLossRegistry();
  for (const method of profile.methods) registry.get(method); // unknown names fail before any training

  const totalRuns = profile.seeds.length * profile.methods.length * profile.preference.learningRates.length;
  stage(`1/4 data: arithmetic task (seed ${profile.data.seed}, numbers <= ${profile.data.maxNumber ?? 'any'}) -> ${path.join(outDir, 'data')}`);
  const data = await writeExperimentData(outDir, profile);
  stream.write(`${data.counts.sftTrain} SFT train, ${data.counts.preferenceTrain} preference train, ${data.counts.eval} eval, ${data.counts.test} test problems\n`);
  const context: RunContext = { profile, data, backend: options.backend ?? 'auto', registry, stream, interactive: options.interactive };

  const runs: PreferenceRun[] = [];
  let runIndex = 0;
  for (const seed of profile.seeds) {
    const seedSuffix = profile.seeds.length > 1 ? `-seed${seed}` : '';
    stage(`2/4 SFT (seed ${seed}): ${profile.sft.steps} steps from scratch, then test accuracy by greedy generation`);
    const sft = await runSft(context, path.join(outDir, `sft${seedSuffix}`), seed);
    stream.write(`SFT model: test accuracy ${(100 * sft.final.accuracy).toFixed(1)}%, malformed ${(100 * sft.final.malformed).toFixed(1)}% (${sft.result.seconds.toFixed(0)} s)\n`);
    for (const method of profile.methods) {
      for (const lr of profile.preference.learningRates) {
        runIndex += 1;
        stage(`3/4 preference run ${runIndex}/${totalRuns}: ${method}, ${lrName(lr)}, seed ${seed}, ${profile.preference.steps} steps from the SFT model`);
        const runDir = path.join(outDir, 'runs', `${method}-${lr.label}-seed${seed}`);
        const finished = await runPreference(context, runDir, { method, learningRate: lr.value, seed, sftModelDir: sft.result.modelDir });
        const summary = summarizeRun({ method, lrLabel: lr.label, learningRate: lr.value, seed }, finished.history, sft.final);
        stream.write(`${method} ${lrName(lr)}: test accuracy ${(100 * summary.accuracyBefore).toFixed(1)}% -> ${(100 * summary.accuracyAfter).toFixed(1)}%, reward accuracy ${(100 * summary.rewardAccuracy).toFixed(1)}%\n`);
        runs.push({ summary, finished, sftAccuracy: sft.final.accuracy });
      }
    }
  }

  stage('4/4 report: table, plots, report.md');
  const summaries = runs.map((r) => r.summary);
  const rows = tableRows(summaries, profile.methods);
  const judged = verdict(rows, data.counts.test);
  const plots = await writePlots(outDir, buildPlots(runs.map((r) => ({ summary: r.summary, history: r.finished.history, sftAccuracy: r.sftAccuracy })), profile.methods, lrName));
  const high = profile.preference.learningRates[profile.preference.learningRates.length - 1]!;
  const samples = runs
    .filter((r) => r.summary.lrLabel === high.label && r.summary.seed === profile.seeds[0])
    .map((r) => ({
      heading: `${r.summary.method}, ${lrName(high)}`,
      items: r.finished.generations.slice(0, 3).map((g, i) => ({ prompt: data.test[i]!.prompt, answer: g.text, correct: isCorrect(g.text, data.test[i]!.answer) })),
    }));
  const seconds = (Date.now() - started) / 1000;
  const p = profile.preference;
  const setup = [
    `profile \`${profile.name}\`, backend ${describeBackend()}, ${cpus().length} CPU cores (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}; total time ${formatDuration(seconds)}`,
    `task: synthetic arithmetic word problems (arena/task, seed ${profile.data.seed}, every number <= ${profile.data.maxNumber ?? 'any'}${profile.data.maxSteps ? `, at most ${profile.data.maxSteps} steps` : ''}); chosen = the correct solution, rejected = the same with one intermediate result wrong (carried forward); ${data.counts.sftTrain} SFT train / ${data.counts.preferenceTrain} preference train / ${data.counts.eval} eval / ${data.counts.test} test problems, disjoint`,
    `model: Llama (RMSNorm, RoPE, GQA, SwiGLU), hidden ${profile.model.hidden_size}, ${profile.model.num_hidden_layers} layers, ${profile.model.num_attention_heads} heads (${profile.model.num_key_value_heads} kv), task tokenizer (characters; numbers 0-99 and the task's words one token each), trained from scratch`,
    `SFT: ${profile.sft.steps} steps, batch ${profile.sft.batchSize}, AdamW lr ${profile.sft.learningRate} cosine; seeds ${profile.seeds.join(', ')}`,
    `preference: ${profile.methods.join(' vs ')}, beta ${p.beta}, ${p.steps} steps, batch ${p.batchSize} pairs, constant lr after 10% warmup at ${p.learningRates.map(lrName).join(', ')}, grad-norm clip 1, reference = the SFT model (log-probs precomputed)`,
    `evaluation: greedy generation (KV cache, at most ${profile.generation.maxNewTokens} new tokens) on the first ${Math.min(profile.generation.duringTraining, data.counts.test)} test questions every ${p.evalEvery} steps and on all ${data.counts.test} at the end; reward metrics on the eval split`,
  ];
  const report = buildReport({
    profile: profile.name,
    setup,
    rows,
    verdict: judged,
    plots,
    samples,
    referenceDegeneration: degeneration(data.testSolutions.map((text) => ({ text, finishReason: 'eos' as const }))),
  });
  await writeFileAtomic(path.join(outDir, 'results.json'), `${JSON.stringify({ profile, seconds, runs: summaries, rows, verdict: judged }, null, 2)}\n`);
  await writeFileAtomic(path.join(outDir, 'report.md'), report);
  const table = formatTextTable(rows);
  out.write(`\n${table}\n\n${judged.lines.join('\n')}\n\nreport: ${path.join(outDir, 'report.md')} (${formatDuration(seconds)})\n`);
  return { outDir, runs: summaries, table, seconds };
}

function formatDuration(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(1)} s`;
}
