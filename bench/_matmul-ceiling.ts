/**
 * The matMul ceiling of a backend: float32 [2048, 256] @ [256, 688] products (the DPO step's
 * largest matMul shape: its MLP projections) run back to back on `threads` worker threads at once
 * (each its own TensorFlow.js engine, as the data-parallel trainer's workers are), for a fixed
 * time. Returns the GFLOP/s of all threads together; on wasm that is XNNPACK's speed, the most a
 * model step on that backend can reach.
 *
 * Each product is read back (`dataSync`, so asynchronous backends finish it) but its values are
 * NOT returned from `tf.tidy`: tidy walks whatever its function returns looking for tensors, one
 * element of a typed array at a time (1.4M here), which made an earlier version of this loop
 * measure that walk (0.04-0.5 GFLOP/s, 100x below the matMul) instead of the matMul.
 */
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../core/runtime/backend.ts';
import { startModuleWorker } from '../core/runtime/threads.ts';

export const CEILING_SHAPE = [2048, 256, 688] as const;
const [M, K, N] = CEILING_SHAPE;

interface Job {
  backend: string;
  seconds: number;
}

/** One product, computed and synchronised; nothing is returned from the tidy. */
function multiply(a: tf.Tensor2D, b: tf.Tensor2D): void {
  tf.tidy(() => {
    tf.matMul(a, b).dataSync();
  });
}

/** Runs on each worker: warms up, waits for 'go', multiplies for `seconds`, reports FLOP and seconds. */
async function workerMain(job: Job): Promise<void> {
  await selectBackend(job.backend);
  const a = tf.randomNormal([M, K], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([K, N], 0, 0.05, 'float32', 2) as tf.Tensor2D;
  for (let i = 0; i < 3; i++) multiply(a, b); // the first call packs b into XNNPACK's operator
  parentPort!.postMessage({ ready: true });
  parentPort!.once('message', () => {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < job.seconds * 1000) {
      multiply(a, b);
      count += 1;
    }
    const seconds = (performance.now() - start) / 1000;
    parentPort!.postMessage({ flop: count * 2 * M * K * N, seconds });
  });
}

/**
 * GFLOP/s of `threads` threads multiplying at once on `backend` (the sum of the threads' rates),
 * measured after every thread has started and warmed up, so no thread's start-up overlaps it.
 */
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
