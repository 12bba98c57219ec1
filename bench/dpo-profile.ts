/**
 * `npm run bench -- dpo-profile`: where the time of bench/_dpo-workload.ts's DPO step goes, per
 * TensorFlow.js kernel (tf.profile: each kernel's wall time, summed over the step by kernel name
 * and input shapes). Prints the top entries and the totals per kernel name, and writes them to
 * bench/results/dpo-profile.json.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend } from '../core/runtime/backend.ts';
import { createWorkload, trainingStep } from './_dpo-workload.ts';
import { writeResults } from './_results.ts';

export async function run(): Promise<void> {
  await selectBackend();
  console.log(describeBackend());
  const workload = await createWorkload();
  trainingStep(workload); // warm up
  const start = performance.now();
  const profile = await tf.profile(() => {
    trainingStep(workload);
  });
  const wall = performance.now() - start;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    for (const [map, key] of [[byKernel, k.name], [byShape, `${k.name} ${JSON.stringify(k.inputShapes)}`]] as const) {
      const entry = map.get(key) ?? { ms: 0, calls: 0 };
      entry.ms += ms;
      entry.calls += 1;
      map.set(key, entry);
    }
  }
  const kernelMs = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  const table = (map: Map<string, { ms: number; calls: number }>, n: number) =>
    [...map].sort((a, b) => b[1].ms - a[1].ms).slice(0, n).map(([key, e]) => ({ kernel: key.slice(0, 90), ms: Math.round(e.ms), calls: e.calls, percent: Number(((100 * e.ms) / kernelMs).toFixed(1)) }));
  const kernels = table(byKernel, 25);
  const shapes = table(byShape, 30);
  console.log(`one step: ${Math.round(wall)} ms wall under the profiler, ${Math.round(kernelMs)} ms in ${profile.kernels.length} kernels`);
  console.table(kernels);
  console.table(shapes);
  workload.dispose();
  const file = await writeResults('dpo-profile', [{ wall_ms: wall, kernel_ms: kernelMs, kernel_calls: profile.kernels.length }, ...kernels, ...shapes]);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
