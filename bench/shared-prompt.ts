/**
 * `npm run bench -- shared-prompt`: prompt sharing (`train.sharePrompt`, core/data/shared-prompt.ts)
 * on and off, alternating round by round in one run so that both see the same machine load, on
 *   - the reproduction's data: the quick profile's close preference pairs (arena task and its
 *     tokenizer, data.maxLength as the profile resolves it) with its tiny Llama, 8 pairs a step in
 *     file order, as `npm start`'s preference runs take them; and
 *   - issue 13's DPO step (bench/_dpo-workload.ts: 8 pairs x 128 tokens, prompt 32).
 * Each step is the trainer's single-thread one: `preferenceObjective` + `computeGradients` + clip +
 * AdamW (bench/_dpo-workload.ts `trainingStep`). Printed per workload: tokens a step feeds the model
 * (rows x padded length, what the forward pass computes) and real tokens (without padding), seconds
 * per step with and without sharing, and their ratio. Then whole `prefopt train` runs on the
 * reproduction's data (the trainer with its threads, reference precompute and evaluation),
 * alternating, PREFOPT_BENCH_TRAIN_ROUNDS times each (default 2).
 *
 *   PREFOPT_BENCH_STEPS=4 PREFOPT_BENCH_ROUNDS=3 npm run bench -- shared-prompt
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { resolveCompareConfig } from '../arena/compare/config.ts';
import { writeComparisonData } from '../arena/compare/data.ts';
import { PROFILES } from '../arena/reproduce/profiles.ts';
import type { PreferenceBatch } from '../core/data/batch.ts';
import { collatePreference, type TokenizedPair } from '../core/data/collate.ts';
import { resolveConfig } from '../core/config/load.ts';
import { loadPreferenceDataset } from '../core/data/datasets.ts';
import { tinyConfig } from '../core/model/config.ts';
import { HfTokenizer } from '../core/model/hf-tokenizer.ts';
import { CausalLM } from '../core/model/llama.ts';
import { describeBackend, selectBackend } from '../core/runtime/backend.ts';
import { batchLogps } from '../core/train/reference.ts';
import { MetricsLog } from '../core/train/run-dir.ts';
import { train } from '../core/train/trainer.ts';
import { createWorkload, median, trainingStep, workloadPairs, type Workload } from './_dpo-workload.ts';
import { writeResults } from './_results.ts';

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Tokens a two-sequence batch feeds the model: as computed (rows x padded length) and without padding. */
function fedTokens(batch: PreferenceBatch): { computed: number; real: number } {
  const { rows, seqLen, completionMask } = batch.tokens;
  let real = 0;
  for (let r = 0; r < rows; r++) {
    let last = 0;
    for (let t = 0; t < seqLen; t++) if (completionMask[r * seqLen + t]) last = t + 1;
    real += last;
  }
  return { computed: rows * seqLen, real };
}

/** The same for its packed rows: each pair's shared prefix (chosenStart) is fed once. */
function packedTokens(batch: PreferenceBatch): { computed: number; real: number } {
  const { pairs, seqLen, chosenStart } = batch.packed!;
  return { computed: pairs * seqLen, real: fedTokens(batch).real - chosenStart.reduce((a, b) => a + b, 0) };
}

/** The reproduction's (quick profile) data written into `dir`, its close training pairs tokenized, and its model shape. */
async function reproductionData(dir: string) {
  const { config } = await resolveCompareConfig(PROFILES.quick, { source: 'profile quick', baseDir: dir });
  const data = await writeComparisonData(dir, config.task);
  const tokenizer = await HfTokenizer.fromDir(data.tokenizerDir);
  const { examples } = await loadPreferenceDataset(data.files.closeTrain, tokenizer, { maxLength: config.maxLength });
  return { config, data, pairs: examples, vocab: tokenizer.vocabSize, model: config.sft.model as unknown as Record<string, number> };
}

/**
 * `prefopt train` (the trainer, `train.workers` threads) on the reproduction's close pairs as a
 * preference run from a fresh model: 16 steps of 8 pairs, reference precomputed, evaluation at the
 * end. Returns the run's wall seconds, its median step seconds and its logged losses.
 */
async function trainRun(dir: string, repro: Awaited<ReturnType<typeof reproductionData>>, sharePrompt: boolean, run: number) {
  const loaded = await resolveConfig({
    stage: 'preference', backend: tf.getBackend(), output: path.join(dir, `run-${run}`),
    model: { init: { model_type: 'llama', ...repro.model }, tokenizer: repro.data.tokenizerDir },
    data: { train: repro.data.files.closeTrain, eval: repro.data.files.closeEval, maxLength: repro.config.maxLength },
    loss: { name: 'dpo', beta: 0.1 },
    train: { seed: 1, maxSteps: 16, batchSize: 8, learningRate: 3e-3, schedule: 'constant', logEvery: 4, saveEvery: 0, precomputeReference: true, sharePrompt },
  }, { source: 'bench shared-prompt', baseDir: dir });
  const stamps: number[] = [];
  const start = performance.now();
  const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
  await train(loaded, { progressStream: quiet, afterStep: () => void stamps.push(performance.now()) });
  const seconds = (performance.now() - start) / 1000;
  const losses = (await new MetricsLog(path.join(loaded.config.output, 'metrics.jsonl')).read()).map((line) => line['loss']).filter((l): l is number => typeof l === 'number');
  return { seconds, step: median(stamps.slice(1).map((t, i) => (t - stamps[i]!) / 1000)), losses };
}

interface Case {
  name: string;
  workload: Workload;
  batches: { shared: PreferenceBatch[]; two: PreferenceBatch[] };
}

/** Seconds per step over `steps` steps of `batches` (cycled) with the workload's model and optimizer. */
function timeBatches(w: Workload, batches: PreferenceBatch[], steps: number, offset: number): number[] {
  const seconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const batch = batches[(offset + i) % batches.length]!;
    const start = performance.now();
    trainingStep({ ...w, batch, reference: batchReference.get(batch)! });
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

/** Reference log-probs per batch (computed once, with the starting model, as a precomputed reference). */
const batchReference = new Map<PreferenceBatch, Workload['reference']>();

function collateBoth(pairs: readonly TokenizedPair[], batchSize: number, model: CausalLM): Case['batches'] {
  const shared: PreferenceBatch[] = [];
  const two: PreferenceBatch[] = [];
  for (let i = 0; i + batchSize <= pairs.length; i += batchSize) {
    const slice = pairs.slice(i, i + batchSize);
    const withSharing = collatePreference(slice, { padTokenId: 0 });
    const without = collatePreference(slice, { padTokenId: 0, sharePrompt: false });
    const reference = batchLogps(model, without);
    batchReference.set(withSharing, reference);
    batchReference.set(without, reference);
    shared.push(withSharing);
    two.push(without);
  }
  return { shared, two };
}

export async function run(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-bench-share-'));
  try {
    await runIn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function runIn(dir: string): Promise<void> {
  const steps = envInt('PREFOPT_BENCH_STEPS', 4);
  const rounds = envInt('PREFOPT_BENCH_ROUNDS', 3);
  await selectBackend();
  console.log(`${describeBackend()}; steps on one thread; ${steps} steps x ${rounds} rounds per variant, alternating`);

  const repro = await reproductionData(dir);
  const reproModel = CausalLM.random(tinyConfig({ ...repro.model, vocab_size: repro.vocab, tie_word_embeddings: false }), 1);
  const reproWorkload = await createWorkload(1, reproModel, repro.pairs.slice(0, 8));
  const stepWorkload = await createWorkload(1);
  const cases: Case[] = [
    { name: 'reproduction (quick profile, close pairs)', workload: reproWorkload, batches: collateBoth(repro.pairs, 8, reproModel) },
    { name: 'issue 13 dpo-step (8 pairs x 128, prompt 32)', workload: stepWorkload, batches: collateBoth(workloadPairs(1), 8, stepWorkload.model) },
  ];

  const rows: Array<Record<string, string | number>> = [];
  for (const c of cases) {
    const seconds = { shared: [] as number[], two: [] as number[] };
    trainingStep({ ...c.workload, batch: c.batches.two[0]!, reference: batchReference.get(c.batches.two[0]!)! }); // warm-up
    trainingStep({ ...c.workload, batch: c.batches.shared[0]!, reference: batchReference.get(c.batches.shared[0]!)! });
    for (let round = 0; round < rounds; round++) {
      seconds.two.push(...timeBatches(c.workload, c.batches.two, steps, round * steps));
      seconds.shared.push(...timeBatches(c.workload, c.batches.shared, steps, round * steps));
      console.log(`  ${c.name}, round ${round + 1}: two sequences ${median(seconds.two.slice(-steps)).toFixed(3)} s/step, shared prompt ${median(seconds.shared.slice(-steps)).toFixed(3)} s/step`);
    }
    for (const variant of ['two', 'shared'] as const) {
      const count = variant === 'two' ? fedTokens : packedTokens;
      const mean = (key: 'computed' | 'real') => c.batches[variant].reduce((sum, b) => sum + count(b)[key], 0) / c.batches[variant].length;
      rows.push({
        workload: c.name,
        variant: variant === 'two' ? 'two sequences (sharePrompt: false)' : 'shared prompt (default)',
        tokens_per_step_computed: Math.round(mean('computed')),
        tokens_per_step_real: Math.round(mean('real')),
        s_per_step: Number(median(seconds[variant]).toPrecision(3)),
      });
    }
    const ratio = median(seconds.shared) / median(seconds.two);
    const pairedRatios = seconds.shared.map((s, i) => s / seconds.two[i]!);
    rows.push({ workload: c.name, variant: 'shared / two (s per step)', s_per_step: Number(ratio.toPrecision(3)), median_paired_ratio: Number(median(pairedRatios).toPrecision(3)) });
    c.workload.dispose();
  }

  const trainRounds = envInt('PREFOPT_BENCH_TRAIN_ROUNDS', 2);
  const runs = { shared: [] as Array<Awaited<ReturnType<typeof trainRun>>>, two: [] as Array<Awaited<ReturnType<typeof trainRun>>> };
  for (let round = 0; round < trainRounds; round++) {
    runs.two.push(await trainRun(dir, repro, false, 2 * round));
    runs.shared.push(await trainRun(dir, repro, true, 2 * round + 1));
    console.log(`  prefopt train, round ${round + 1}: two sequences ${runs.two.at(-1)!.seconds.toFixed(1)} s (step ${runs.two.at(-1)!.step.toFixed(2)} s), shared prompt ${runs.shared.at(-1)!.seconds.toFixed(1)} s (step ${runs.shared.at(-1)!.step.toFixed(2)} s)`);
  }
  const lossDiff = Math.max(...runs.two[0]!.losses.map((l, i) => Math.abs(l - runs.shared[0]!.losses[i]!)));
  for (const variant of ['two', 'shared'] as const) {
    rows.push({
      workload: 'prefopt train, reproduction data (16 steps, precomputed reference, eval)',
      variant: variant === 'two' ? 'two sequences (sharePrompt: false)' : 'shared prompt (default)',
      s_per_step: Number(median(runs[variant].map((r) => r.step)).toPrecision(3)),
      run_seconds: Number(median(runs[variant].map((r) => r.seconds)).toPrecision(3)),
    });
  }
  rows.push({
    workload: 'prefopt train, reproduction data (16 steps, precomputed reference, eval)',
    variant: 'shared / two',
    s_per_step: Number((median(runs.shared.map((r) => r.step)) / median(runs.two.map((r) => r.step))).toPrecision(3)),
    run_seconds: Number((median(runs.shared.map((r) => r.seconds)) / median(runs.two.map((r) => r.seconds))).toPrecision(3)),
  });
  console.table(rows);
  console.log(`largest difference between the two runs' logged losses: ${lossDiff.toExponential(1)}`);
  const summary = { load_average: os.loadavg()[0], tensors_after: tf.memory().numTensors };
  console.log(`load average ${summary.load_average.toFixed(1)}`);
  const file = await writeResults('shared-prompt', [...rows, summary]);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
