/**
 * `npm run bench -- reproduce-stages`: the training inside `npm start` (`prefopt reproduce
 * --profile quick`) at 1 gradient thread against the default (every core), alternating, so both
 * see the same machine load. Two parts, each exactly as the profile configures it
 * (arena/compare/runs.ts) apart from the step count and `train.workers`:
 *   - its SFT run (from scratch, batch 8), cut to PREFOPT_BENCH_STEPS steps (default 60): the
 *     stage `npm start` spends most of its time in, alone on the machine;
 *   - one of its 18 preference runs (dpo, lr 3e-3, seed 1, 40 steps) from the first SFT model:
 *     reference log-probs precomputed for 384 pairs, 40 steps, the final evaluation on 64 pairs
 *     (`npm start` runs two such runs at a time on 1 thread each; `--workers 1` one at a time on
 *     every core, as measured here).
 * PREFOPT_BENCH_ROUNDS (default 2) rounds. The test-set generation that follows each run is not
 * timed (it does not use the gradient threads).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from '../core/config/load.ts';
import { describeBackend, selectBackend } from '../core/runtime/backend.ts';
import { defaultThreadCount } from '../core/runtime/threads.ts';
import { train } from '../core/train/trainer.ts';
import { methodsOf, resolveCompareConfig } from '../arena/compare/config.ts';
import { writeComparisonData } from '../arena/compare/data.ts';
import { preferenceRunConfig, sftRunConfig } from '../arena/compare/runs.ts';
import { registerReferenceDrift } from '../arena/metrics/reference-drift.ts';
import { profileNamed } from '../arena/reproduce/profiles.ts';
import { median } from './_dpo-workload.ts';
import { writeResults } from './_results.ts';

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

/** Trains a raw run config with `workers` threads; returns the wall seconds of `train()`. */
async function timeRun(raw: Record<string, unknown>, workers: number, source: string): Promise<number> {
  const withWorkers = { ...raw, train: { ...(raw.train as object), workers } };
  const loaded = await resolveConfig(withWorkers, { source, baseDir: process.cwd() });
  const started = performance.now();
  await train(loaded, { progressStream: quiet, plots: false });
  return (performance.now() - started) / 1000;
}

export async function run(): Promise<void> {
  const sftSteps = envInt('PREFOPT_BENCH_STEPS', 60);
  const rounds = envInt('PREFOPT_BENCH_ROUNDS', 2);
  const cores = defaultThreadCount();
  const { config } = await resolveCompareConfig(profileNamed('quick'), { source: 'profile quick', baseDir: process.cwd() });
  await selectBackend(config.backend);
  registerReferenceDrift(); // as `prefopt reproduce` does: the arena's pair metrics in every run
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prefopt-bench-reproduce-'));
  const loadAverages = [os.loadavg()[0]!];
  console.log(`${describeBackend()}; ${cores} cores; quick profile: SFT ${sftSteps} of ${config.sft.steps} steps, one 40-step preference run; load average ${loadAverages[0]!.toFixed(1)}`);
  try {
    const data = await writeComparisonData(dir, config.task);
    const sftRaw = sftRunConfig(config, { ...data.files, tokenizerDir: data.tokenizerDir }, '');
    (sftRaw.train as Record<string, unknown>).maxSteps = sftSteps;
    const dpo = methodsOf(config).find((m) => m.label === 'dpo')!;
    const counts = [...new Set([1, cores])];
    const seconds: Record<string, number[]> = {};
    const record = (key: string, value: number) => void (seconds[key] ??= []).push(value);
    let sftModelDir: string | undefined;
    for (let round = 0; round < rounds; round++) {
      for (const workers of counts) {
        const sftDir = path.join(dir, `sft-${round}-${workers}`);
        record(`sft ${workers}`, await timeRun({ ...sftRaw, output: sftDir }, workers, 'quick: sft'));
        sftModelDir ??= path.join(sftDir, 'model');
        console.log(`  round ${round + 1}: SFT, ${workers} thread(s): ${seconds[`sft ${workers}`]!.at(-1)!.toFixed(1)} s (${sftSteps} steps)`);
      }
      for (const workers of counts) {
        const runDir = path.join(dir, `dpo-${round}-${workers}`);
        const raw = preferenceRunConfig(config, { method: dpo, learningRate: 3e-3, seed: 1 }, { train: data.files.closeTrain, eval: data.files.closeEval, sftModelDir: sftModelDir! }, runDir, workers);
        record(`dpo ${workers}`, await timeRun(raw, workers, 'quick: dpo'));
        console.log(`  round ${round + 1}: preference run, ${workers} thread(s): ${seconds[`dpo ${workers}`]!.at(-1)!.toFixed(1)} s`);
      }
      loadAverages.push(os.loadavg()[0]!);
    }
    const rows = counts.flatMap((workers) => [
      { what: `SFT, ${sftSteps} steps`, workers, median_s: Number(median(seconds[`sft ${workers}`]!).toPrecision(3)), s_per_step: Number((median(seconds[`sft ${workers}`]!) / sftSteps).toPrecision(3)) },
      { what: 'preference run (40 steps, reference precompute, final eval)', workers, median_s: Number(median(seconds[`dpo ${workers}`]!).toPrecision(3)) },
    ]);
    console.table(rows);
    const speedup = (part: string) => median(seconds[`${part} 1`]!) / median(seconds[`${part} ${cores}`]!);
    const summary = { cores, rounds, sftSteps, seconds, sft_speedup: speedup('sft'), preference_speedup: speedup('dpo'), load_averages: loadAverages };
    console.log(`${cores} threads over 1: SFT ${summary.sft_speedup.toFixed(2)}x, preference run ${summary.preference_speedup.toFixed(2)}x; load average ${loadAverages.map((l) => l.toFixed(1)).join(' -> ')}`);
    const file = await writeResults('reproduce-stages', [...rows, summary]);
    console.log(`results: ${path.relative(process.cwd(), file)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
