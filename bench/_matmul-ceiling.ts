/**
 * The matMul ceiling of a backend: float32 [2048, 256] @ [256, 688] products (the DPO step's
 * largest matMul shape: its MLP projections) run back to back on `threads` worker threads at once
 * (each its own TensorFlow.js engine, as the data-parallel trainer's workers are), for a fixed
 * time. Returns the GFLOP/s of all threads together; on wasm that is XNNPACK's speed, the most a
 * model step on that backend can reach. (A square 1024 product measured 3-5x lower than this on
 * the loaded 2-core machine: its 12 MB working set thrashes a shared cache.)
 */
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/runtime/backend.ts';
import { startModuleWorker } from '../core/runtime/threads.ts';

const [M, K, N] = [2048, 256, 688];

interface Job {
  backend: string;
  seconds: number;
}

/** Runs on each worker: waits for 'go', multiplies for `seconds`, reports FLOP and seconds. */
async function workerMain(job: Job): Promise<void> {
  await selectBackend(job.backend);
  const a = tf.randomNormal([M, K], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([K, N], 0, 0.05, 'float32', 2) as tf.Tensor2D;
  tf.tidy(() => tf.matMul(a, b).dataSync()); // warm up
  parentPort!.postMessage({ ready: true });
  parentPort!.once('message', () => {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < job.seconds * 1000) {
      tf.tidy(() => tf.matMul(a, b).dataSync());
      count += 1;
    }
    const seconds = (performance.now() - start) / 1000;
    parentPort!.postMessage({ flop: count * 2 * M * K * N, seconds });
  });
}

/** GFLOP/s of `threads` threads multiplying at once on `backend`. */
export async function matMulCeiling(threads: number, backend: string, seconds = 3): Promise<number> {
  const workers = Array.from({ length: threads }, () => startModuleWorker(new URL(import.meta.url), { workerData: { backend, seconds } satisfies Job }));
  try {
    const next = (w: Worker) => new Promise<any>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await Promise.all(workers.map(next));
    const results = workers.map(next);
    for (const w of workers) w.postMessage('go');
    const done = (await Promise.all(results)) as Array<{ flop: number; seconds: number }>;
    return done.reduce((sum, r) => sum + r.flop / r.seconds, 0) / 1e9;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (!isMainThread && (workerData as Job | undefined)?.seconds !== undefined) await workerMain(workerData as Job);
