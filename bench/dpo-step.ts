/**
 * `npm run bench -- dpo-step`: issue 13's DPO training step (bench/_dpo-workload.ts) through
 * prefopt's training code, on the backend `selectBackend` picks (PREFOPT_BACKEND=wasm|cpu|
 * tensorflow|webgpu, else auto), on one thread and on the trainer's data-parallel threads
 * (core/train/parallel; PREFOPT_BENCH_THREADS, default as train.workers: every core on wasm/cpu),
 * measured against:
 *   - the matMul ceiling of the same backend, measured in the same run on every thread at once
 *     (bench/_matmul-ceiling.ts), and
 *   - the same step in PyTorch (bench/dpo_step_torch.py) at 1 and 2 threads, when a python3 with
 *     torch is found (PREFOPT_PYTHON, python3, /usr/bin/python3; PREFOPT_BENCH_TORCH=0 skips it).
 * prefopt and PyTorch run alternately, `rounds` times, so that both see the same machine load.
 *
 *   PREFOPT_BENCH_STEPS=3 PREFOPT_BENCH_ROUNDS=2 PREFOPT_BENCH_THREADS=2 npm run bench -- dpo-step
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend } from '../core/runtime/backend.ts';
import { defaultThreadCount } from '../core/runtime/threads.ts';
import { GradientPool, threadsFor } from '../core/train/parallel/pool.ts';
import { createWorkload, DPO_SPEC, median, poolGradients, STEP_TOKENS, stepFlops, timeSteps, SHAPE, type GradientFn } from './_dpo-workload.ts';
import { matMulCeiling } from './_matmul-ceiling.ts';
import { writeResults } from './_results.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** A python3 that imports torch, or undefined. */
function findTorchPython(): string | undefined {
  if (process.env.PREFOPT_BENCH_TORCH === '0') return undefined;
  for (const python of [process.env.PREFOPT_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!python) continue;
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function torchSteps(python: string, threads: number, steps: number): number[] {
  const out = execFileSync(python, [path.join(here, 'dpo_step_torch.py'), '--threads', String(threads), '--steps', String(steps), '--warmup', '1'], { encoding: 'utf8' });
  return (JSON.parse(out.trim().split('\n').pop()!) as { step_seconds: number[] }).step_seconds;
}

export async function run(): Promise<void> {
  const steps = envInt('PREFOPT_BENCH_STEPS', 3);
  const rounds = envInt('PREFOPT_BENCH_ROUNDS', 2);
  const backend = await selectBackend();
  const cores = defaultThreadCount();
  const flops = stepFlops();
  console.log(`${describeBackend()}; ${cores} cores; step: ${SHAPE.pairs} pairs x ${SHAPE.seqLen} tokens, ${(flops / 1e9).toFixed(1)} GFLOP`);

  const workload = await createWorkload();
  const threads = envInt('PREFOPT_BENCH_THREADS', threadsFor(undefined, backend));
  const pool = threads > 1 ? await GradientPool.start(workload.model, DPO_SPEC, { threads }) : undefined;
  const variants: Array<{ name: string; gradients?: GradientFn; seconds: number[] }> = [
    { name: `prefopt ${backend}, 1 thread`, seconds: [] },
    ...(pool ? [{ name: `prefopt ${backend}, ${pool.threads} threads`, gradients: poolGradients(pool), seconds: [] }] : []),
  ];
  const python = findTorchPython();
  if (!python) console.log('PyTorch: no python3 with torch found (apt-get install python3-torch libopenblas0-pthread); comparison skipped');
  const torchThreads = [...new Set([1, cores])];
  // The ceiling: a large matMul on one thread, and on every core at once (workers on wasm/cpu;
  // native backends thread internally, so one caller measures them). Measured in every round,
  // between the steps, since the machine's load changes.
  const threaded = backend === 'wasm' || backend === 'cpu';
  const ceilingOne: number[] = [];
  const ceilingAll: number[] = [];
  const torch: Record<number, number[]> = Object.fromEntries(torchThreads.map((t) => [t, []]));
  // Two untimed steps first: a worker thread's first steps run slower (its engine compiles and
  // caches its kernels for these shapes), which a training run of hundreds of steps does not see.
  for (let round = 0; round < rounds; round++) {
    for (const v of variants) {
      v.seconds.push(...timeSteps(workload, steps, round === 0 ? 2 : 0, v.gradients));
      console.log(`  round ${round + 1}: ${v.name}: ${median(v.seconds.slice(-steps)).toFixed(2)} s/step`);
    }
    if (threaded) ceilingOne.push(await matMulCeiling(1, backend, 2));
    ceilingAll.push(await matMulCeiling(threaded ? cores : 1, backend, 2));
    console.log(`  round ${round + 1}: matMul ceiling ${threaded ? `${ceilingOne.at(-1)!.toFixed(1)} GFLOP/s on 1 thread, ` : ''}${ceilingAll.at(-1)!.toFixed(1)} GFLOP/s on all`);
    if (python) {
      for (const t of torchThreads) {
        torch[t]!.push(...torchSteps(python, t, steps));
        console.log(`  round ${round + 1}: PyTorch ${t} thread(s): ${median(torch[t]!.slice(-steps)).toFixed(2)} s/step`);
      }
    }
  }
  const numTensors = tf.memory().numTensors;
  const poolThreads = pool?.threads ?? 1;
  await pool?.dispose();
  workload.dispose();

  const rows: Array<Record<string, string | number>> = [];
  const row = (what: string, s: number) => ({ what, s_per_step: s, tokens_per_s: STEP_TOKENS / s, gflop_per_s: flops / s / 1e9 });
  for (const v of variants) rows.push(row(v.name, median(v.seconds)));
  for (const t of torchThreads) if (torch[t]!.length > 0) rows.push(row(`PyTorch ${t} thread(s)`, median(torch[t]!)));
  for (const r of rows) for (const key of ['s_per_step', 'tokens_per_s', 'gflop_per_s']) r[key] = Number((r[key] as number).toPrecision(3));
  console.table(rows);
  const fastest = variants.reduce((a, b) => (median(b.seconds) < median(a.seconds) ? b : a));
  const best = median(fastest.seconds);
  const gflops = flops / best / 1e9;
  const torchBest = Math.min(...torchThreads.filter((t) => torch[t]!.length > 0).map((t) => median(torch[t]!)));
  const summary = {
    backend,
    cores,
    threads: poolThreads,
    step_gflop: flops / 1e9,
    ceiling_gflop_per_s: { one_thread: threaded ? median(ceilingOne) : undefined, all_threads: median(ceilingAll) },
    percent_of_ceiling_all_threads: (100 * gflops) / median(ceilingAll),
    fastest: fastest.name,
    parallel_speedup: median(variants[0]!.seconds) / median(variants.at(-1)!.seconds),
    ...(Number.isFinite(torchBest) ? { over_pytorch_best: torchBest / best } : {}),
    load_average: os.loadavg()[0],
    tensors_after: numTensors,
  };
  console.log(
    `ceiling (median): ${threaded ? `${median(ceilingOne).toFixed(1)} GFLOP/s on 1 thread, ` : ''}${median(ceilingAll).toFixed(1)} GFLOP/s on ${threaded ? cores : 'all'} thread(s); ` +
      `${fastest.name} (fastest): ${gflops.toFixed(1)} GFLOP/s = ${summary.percent_of_ceiling_all_threads.toFixed(0)}% of it` +
      (summary.over_pytorch_best !== undefined ? `; prefopt / PyTorch (best) = ${summary.over_pytorch_best.toFixed(2)}x` : '') +
      `; load average ${summary.load_average.toFixed(1)}`,
  );
  const file = await writeResults('dpo-step', [...rows, summary]);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
