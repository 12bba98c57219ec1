/**
 * What the main thread and a gradient worker exchange. Weights go main -> workers through one
 * SharedArrayBuffer (every weight, flat, in the model's parameter order); each worker writes its
 * gradients into a SharedArrayBuffer of its own with the same layout. Requests and replies are
 * messages on a MessagePort; a worker signals "reply posted" by setting its slot of a shared
 * Int32Array, so the main thread can wait synchronously (Atomics.wait) and read the reply with
 * receiveMessageOnPort: the pool's `computeGradients` is a plain synchronous call, like the
 * single-thread one. The same goes for work on whole batches (batch-work.ts): reference log-probs
 * and held-out metrics.
 */
import type { MessagePort } from 'node:worker_threads';
import type { LlamaConfig } from '../../model/config.ts';
import type { BatchWorkKind } from './batch-work.ts';
import type { ObjectiveSpec, Share } from './shares.ts';

/** Where each weight lives in the flat buffers (offsets and sizes in float32 elements). */
export interface WeightSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface WorkerInit {
  backend: string;
  config: LlamaConfig;
  slots: WeightSlot[];
  objective: ObjectiveSpec;
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** Int32Array over it: slot `index` is set to 1 when a reply has been posted. */
  signals: SharedArrayBuffer;
  index: number;
  port: MessagePort;
}

/** Gradients of `scale` x the share's objective, with the weights currently in the shared buffer. */
export interface GradientRequest {
  type: 'gradients';
  share: Share;
  scale: number;
}

/** `batchWork[work]` on each item (a whole batch), with the weights currently in the shared buffer. */
export interface BatchRequest {
  type: 'batches';
  work: BatchWorkKind;
  items: unknown[];
}

export type WorkerRequest = GradientRequest | BatchRequest;

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'gradients'; metrics: Record<string, number>; names: string[] }
  | { type: 'batches'; results: unknown[] }
  | { type: 'error'; message: string; stack?: string; userError: boolean };

/** The flat layout of a model's weights. */
export function weightSlots(params: ReadonlyMap<string, { shape: number[]; size: number }>): WeightSlot[] {
  const slots: WeightSlot[] = [];
  let offset = 0;
  for (const [name, p] of params) {
    slots.push({ name, shape: [...p.shape], offset, size: p.size });
    offset += p.size;
  }
  return slots;
}
