/**
 * `npm run bench -- matmul-ceiling`: how stable the matMul ceiling that `dpo-step` divides by is.
 * Measures bench/_matmul-ceiling.ts on 1 thread and on every core at once, `rounds` times
 * (PREFOPT_BENCH_ROUNDS, default 5; PREFOPT_BENCH_SECONDS per measurement, default 2), alternating,
 * and prints each figure, the median and the spread ((max - min) / median).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeBackend, selectBackend } from '../core/runtime/backend.ts';
import { defaultThreadCount } from '../core/runtime/threads.ts';
import { median } from './_dpo-workload.ts';
import { CEILING_SHAPE, matMulCeiling } from './_matmul-ceiling.ts';
import { writeResults } from './_results.ts';

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const [M, K, N] = CEILING_SHAPE;

export async function run(): Promise<void> {
  const rounds = Math.round(envNumber('PREFOPT_BENCH_ROUNDS', 5));
  const seconds = envNumber('PREFOPT_BENCH_SECONDS', 2);
  const backend = await selectBackend();
  const cores = defaultThreadCount();
  const threaded = backend === 'wasm' || backend === 'cpu';
  const counts = threaded && cores > 1 ? [1, cores] : [1];
  console.log(`${describeBackend()}; ${cores} cores; [${M}, ${K}] @ [${K}, ${N}] float32 products, ${seconds} s per figure; load average ${os.loadavg()[0]!.toFixed(1)}`);
  const figures: Record<number, number[]> = Object.fromEntries(counts.map((t) => [t, []]));
  for (let round = 0; round < rounds; round++) {
    for (const threads of counts) {
      figures[threads]!.push(await matMulCeiling(threads, backend, seconds));
      console.log(`  round ${round + 1}: ${threads} thread(s): ${figures[threads]!.at(-1)!.toFixed(1)} GFLOP/s`);
    }
  }
  const rows = counts.map((threads) => {
    const values = figures[threads]!;
    const mid = median(values);
    return {
      threads,
      median_gflop_per_s: Number(mid.toPrecision(3)),
      min: Number(Math.min(...values).toPrecision(3)),
      max: Number(Math.max(...values).toPrecision(3)),
      spread_percent: Math.round((100 * (Math.max(...values) - Math.min(...values))) / mid),
    };
  });
  console.table(rows);
  const summary = { backend, cores, rounds, seconds, load_average_end: os.loadavg()[0], figures };
  console.log(`load average at the end ${summary.load_average_end!.toFixed(1)}`);
  const file = await writeResults('matmul-ceiling', [...rows, summary]);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
