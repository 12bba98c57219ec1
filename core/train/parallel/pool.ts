/**
 * Data-parallel gradients on every core: wasm runs TensorFlow.js on one thread in Node (its
 * threaded build does not start there), so a microbatch is split into contiguous shares, the main
 * thread computes the first and `threads - 1` worker threads (worker.ts, each its own engine and
 * copy of the weights) the others, at the same time. The shares' gradients are summed in share
 * order (fixed split, fixed order: deterministic for a given thread count) and handed to the one
 * optimizer in the main thread, whose updated weights the workers read before the next request.
 *
 * `computeGradients(shares, scale)` has the single-thread `computeGradients`'s result (gradients
 * keyed by weight name, already scaled, and the microbatch's metrics, see `combineMetrics`) and is
 * synchronous too.
 *
 * `logps(batches)` and `metrics(shares)` spread whole batches over the threads (reference
 * precompute, held-out evaluation; batch-work.ts): each batch's result is bitwise the one thread's.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.ts';
import type { CausalLM } from '../../model/llama.ts';
import { defaultThreadCount, siblingModule, startModuleWorker } from '../../runtime/threads.ts';
import type { PreferenceBatch } from '../../data/batch.ts';
import { computeGradients, type MicrobatchGradients } from '../gradients.ts';
import type { ReferenceLogps } from '../objectives.ts';
import type { ReferenceSource } from '../reference.ts';
import { batchWork, type BatchWorkKind } from './batch-work.ts';
import { weightSlots, type BatchRequest, type GradientRequest, type WeightSlot, type WorkerInit, type WorkerReply } from './protocol.ts';
import { combineMetrics, resolveObjective, shareObjective, shareWeights, splitEvenly, splittable, type ObjectiveSpec, type ResolvedObjective, type Share } from './shares.ts';

interface WorkerHandle {
  worker: Worker;
  port: MessagePort;
  grads: Float32Array;
}

/** Threads for a backend: `requested`, else every core on wasm and cpu (one-threaded engines), else 1. */
export function threadsFor(requested: number | undefined, backend: string): number {
  if (requested !== undefined) return requested;
  return backend === 'wasm' || backend === 'cpu' ? defaultThreadCount() : 1;
}

export interface GradientPoolOptions {
  /** Threads computing each microbatch, the main thread included (1: no workers). */
  threads: number;
}

export class GradientPool {
  private constructor(
    private readonly model: CausalLM,
    private readonly objective: ResolvedObjective,
    private readonly slots: WeightSlot[],
    private readonly weights: Float32Array,
    private readonly signals: Int32Array,
    private readonly workers: WorkerHandle[],
  ) {
    this.slotOf = new Map(slots.map((slot) => [slot.name, slot]));
    this.splitsGradients = splittable(objective);
  }

  private readonly splitsGradients: boolean;

  private readonly slotOf: Map<string, WeightSlot>;

  /**
   * Starts `threads - 1` workers on the current backend, each with a copy of `model`'s weights
   * and the objective `spec` describes. A batch-coupled loss's microbatch is not split (its
   * gradient stays on one thread, `gradientThreads`), but its whole-batch work (reference
   * log-probs, held-out metrics) still spreads over every thread. A model with adapters (LoRA)
   * gets no workers: they hold no adapters.
   */
  static async start(model: CausalLM, spec: ObjectiveSpec, options: GradientPoolOptions): Promise<GradientPool> {
    const objective = await resolveObjective(spec);
    const adapters = model.trainable !== model.params; // LoRA: workers hold no adapters
    const threads = adapters ? 1 : Math.max(1, Math.floor(options.threads));
    const slots = weightSlots(model.params);
    const total = slots.reduce((sum, s) => sum + s.size, 0);
    const weightsBuffer = new SharedArrayBuffer(threads > 1 ? total * 4 : 0);
    const signalsBuffer = new SharedArrayBuffer(4 * Math.max(1, threads));
    const pool = new GradientPool(model, objective, slots, new Float32Array(weightsBuffer), new Int32Array(signalsBuffer), []);
    if (threads === 1) return pool;
    pool.uploadWeights();
    const backend = tf.getBackend();
    try {
      for (let index = 1; index < threads; index++) {
        const grads = new SharedArrayBuffer(total * 4);
        const { port1, port2 } = new MessageChannel();
        const init: WorkerInit = { backend, config: model.config, slots, objective: spec, weights: weightsBuffer, grads, signals: signalsBuffer, index, port: port2 };
        const worker = startModuleWorker(siblingModule(import.meta.url, 'worker'), { workerData: init, transferList: [port2] });
        worker.unref();
        pool.workers.push({ worker, port: port1, grads: new Float32Array(grads) });
      }
      // Workers start in parallel; wait for every one's 'ready' (or its error) without blocking the loop.
      await Promise.all(pool.workers.map((_, i) => pool.awaitReply(i + 1)));
    } catch (error) {
      await pool.dispose();
      throw error;
    }
    return pool;
  }

  /** Threads of the pool, the main one included: whole-batch work (`logps`, `metrics`) spreads over all of them. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /** Threads each microbatch's gradient is split over: `threads`, or 1 for a batch-coupled loss. */
  get gradientThreads(): number {
    return this.splitsGradients ? this.threads : 1;
  }

  /** Splits a microbatch's items into one contiguous share per gradient thread. */
  split<T>(items: readonly T[]): T[][] {
    return splitEvenly(items, this.gradientThreads);
  }

  /**
   * Gradients of `scale` x the microbatch's objective, the microbatch given as its shares (at most
   * `threads`; see `split`), and the microbatch's metrics (share metrics weighted as the shares).
   */
  computeGradients(shares: readonly Share[], scale: number): MicrobatchGradients {
    if (shares.length === 0) throw new Error('computeGradients: no shares');
    if (shares.length > this.gradientThreads) throw new Error(`computeGradients: ${shares.length} shares for ${this.gradientThreads} gradient threads`);
    const weights = shareWeights(shares);
    const remote = shares.slice(1);
    if (remote.length > 0) {
      this.uploadWeights();
      remote.forEach((share, i) => {
        const request: GradientRequest = { type: 'gradients', share, scale: scale * weights[i + 1]! };
        this.workers[i]!.port.postMessage(request);
      });
    }
    let local: MicrobatchGradients | undefined;
    let failure: unknown;
    try {
      local = computeGradients(this.model, () => shareObjective(this.model, this.objective, shares[0]!), scale * weights[0]!);
    } catch (error) {
      failure = error;
    }
    const replies = remote.map((_, i) => this.waitReply(i + 1));
    const bad = replies.find((r): r is Extract<WorkerReply, { type: 'error' }> => r.type === 'error');
    if (failure !== undefined || bad) {
      if (local) tf.dispose([...local.grads.values()]);
      if (failure !== undefined) throw failure;
      throw workerError(bad!);
    }
    const grads = local!.grads;
    replies.forEach((reply, i) => {
      const r = reply as Extract<WorkerReply, { type: 'gradients' }>;
      const view = this.workers[i]!.grads;
      for (const name of r.names) {
        const slot = this.slotOf.get(name)!;
        const add = tf.tensor(view.slice(slot.offset, slot.offset + slot.size), slot.shape, 'float32');
        const previous = grads.get(name);
        grads.set(name, previous ? tf.add(previous, add) : add);
        if (previous) {
          previous.dispose();
          add.dispose();
        }
      }
    });
    const metrics = combineMetrics(shares, [local!.metrics, ...replies.map((r) => (r as Extract<WorkerReply, { type: 'gradients' }>).metrics)]);
    return { grads, metrics };
  }

  /**
   * Summed completion log-probs of each collated preference batch under `model` (the pool's own,
   * or another with the same config, e.g. a reference model: its weights are sent to the workers
   * for this call), the batches spread over the threads. Equal, bitwise, to `batchLogps` batch
   * after batch; a model of another config is run on the main thread alone.
   */
  logps(batches: readonly PreferenceBatch[], model: CausalLM = this.model): ReferenceLogps[] {
    if (!this.fits(model)) return batches.map((batch) => batchWork.logps(model, this.objective, batch));
    return this.spread('logps', batches, model) as ReferenceLogps[];
  }

  /** The objective's metrics of each share (a whole held-out batch), the shares spread over the threads. */
  metrics(shares: readonly Share[]): Array<Record<string, number>> {
    return this.spread('metrics', shares, this.model) as Array<Record<string, number>>;
  }

  /**
   * `source` with a frozen reference model running on the threads: its `many` spreads whole batches
   * over them (bitwise the main thread's log-probs). Any other source (cached, adapters off) as it is.
   */
  spreadReference(source: ReferenceSource): ReferenceSource {
    const frozen = source.model;
    if (this.threads <= 1 || !frozen) return source;
    return { ...source, many: (parts) => this.logps(parts.map((part) => part.batch), frozen) };
  }

  /** Whether the workers' models can take `model`'s weights (the same config and weight layout). */
  private fits(model: CausalLM): boolean {
    if (model === this.model) return true;
    if (JSON.stringify(model.config) !== JSON.stringify(this.model.config) || model.params.size !== this.slots.length) return false;
    return this.slots.every((slot) => {
      const p = model.params.get(slot.name);
      return p !== undefined && p.shape.join() === slot.shape.join();
    });
  }

  /**
   * `batchWork[work]` on every item with `model`'s weights: one contiguous run of items per
   * thread, the main thread's first; results in the items' order. Every worker has replied before
   * this returns or throws, so the next request starts clean.
   */
  private spread(work: BatchWorkKind, items: readonly unknown[], model: CausalLM): unknown[] {
    const runs = splitEvenly(items, this.threads);
    const remote = runs.slice(1);
    if (remote.length > 0) {
      this.uploadWeights(model);
      remote.forEach((run, i) => {
        const request: BatchRequest = { type: 'batches', work, items: run };
        this.workers[i]!.port.postMessage(request);
      });
    }
    const compute = batchWork[work] as (m: CausalLM, o: ResolvedObjective, item: any) => unknown;
    let local: unknown[] = [];
    let failure: unknown;
    try {
      local = (runs[0] ?? []).map((item) => compute(model, this.objective, item));
    } catch (error) {
      failure = error;
    }
    const replies = remote.map((_, i) => this.waitReply(i + 1));
    if (failure !== undefined) throw failure;
    const bad = replies.find((r): r is Extract<WorkerReply, { type: 'error' }> => r.type === 'error');
    if (bad) throw workerError(bad);
    return [...local, ...replies.flatMap((r) => (r as Extract<WorkerReply, { type: 'batches' }>).results)];
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    const workers = this.workers.splice(0);
    for (const w of workers) w.port.close();
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  /** Writes `model`'s current weights (default: the pool's model) into the shared buffer the workers read. */
  private uploadWeights(model: CausalLM = this.model): void {
    for (const slot of this.slots) this.weights.set(model.params.get(slot.name)!.dataSync() as Float32Array, slot.offset);
  }

  /** Blocks until worker `index` has replied; returns the reply. */
  private waitReply(index: number): WorkerReply {
    Atomics.wait(this.signals, index, 0);
    Atomics.store(this.signals, index, 0);
    let received = receiveMessageOnPort(this.workers[index - 1]!.port);
    while (!received) {
      Atomics.wait(this.signals, index, 0, 1); // the message may trail the signal by a moment
      received = receiveMessageOnPort(this.workers[index - 1]!.port);
    }
    return received.message as WorkerReply;
  }

  /** Waits for worker `index`'s reply without blocking the event loop (used at start-up); throws its error. */
  private async awaitReply(index: number): Promise<void> {
    const handle = this.workers[index - 1]!;
    const exited = new Promise<never>((_, reject) => {
      handle.worker.once('error', reject);
      handle.worker.once('exit', (code) => reject(new Error(`gradient worker ${index} exited (code ${code}) before it was ready`)));
    });
    exited.catch(() => undefined); // after start-up, an exit is dispose()'s doing
    const signalled = (async () => {
      while (Atomics.load(this.signals, index) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    })();
    await Promise.race([signalled, exited]);
    const reply = this.waitReply(index);
    if (reply.type === 'error') throw workerError(reply, index);
  }
}

/** A worker's error as the main thread throws it: a user's mistake as a UserError, else with the worker's stack. */
function workerError(reply: Extract<WorkerReply, { type: 'error' }>, index?: number): Error {
  if (reply.userError) return new UserError(reply.message);
  return Object.assign(new Error(`gradient worker${index === undefined ? '' : ` ${index}`}: ${reply.message}`), { stack: reply.stack });
}
