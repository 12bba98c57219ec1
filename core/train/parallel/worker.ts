/**
 * A gradient worker (started by pool.ts): its own TensorFlow.js engine on the main thread's
 * backend, its own copy of the model, refreshed from the shared weight buffer before every request.
 * It computes the gradient of its share of a microbatch with the trainer's own `computeGradients`
 * and writes it into its shared gradient buffer, or runs `batchWork` (reference log-probs, held-out
 * metrics) on whole batches and posts the results.
 */
import { workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../errors.ts';
import { CausalLM } from '../../model/llama.ts';
import { selectBackend } from '../../runtime/backend.ts';
import { computeGradients } from '../gradients.ts';
import { batchWork } from './batch-work.ts';
import type { WorkerInit, WorkerReply, WorkerRequest } from './protocol.ts';
import { resolveObjective, shareObjective } from './shares.ts';

const init = workerData as WorkerInit;
const signals = new Int32Array(init.signals);
const weights = new Float32Array(init.weights);
const grads = new Float32Array(init.grads);
const slotOf = new Map(init.slots.map((slot) => [slot.name, slot]));

function reply(message: WorkerReply): void {
  init.port.postMessage(message);
  Atomics.store(signals, init.index, 1);
  Atomics.notify(signals, init.index);
}

function replyError(error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  reply({ type: 'error', message: e.message, stack: e.stack, userError: e instanceof UserError });
}

/** Copies the shared weights into the model's variables. */
function loadWeights(model: CausalLM): void {
  tf.tidy(() => {
    for (const slot of init.slots) {
      model.params.get(slot.name)!.assign(tf.tensor(weights.slice(slot.offset, slot.offset + slot.size), slot.shape, 'float32'));
    }
  });
}

try {
  await selectBackend(init.backend);
  const objective = await resolveObjective(init.objective);
  const arrays = new Map(init.slots.map((slot) => [slot.name, { shape: slot.shape, data: weights.slice(slot.offset, slot.offset + slot.size) }]));
  const model = CausalLM.fromArrays(init.config, arrays);
  init.port.on('message', (request: WorkerRequest) => {
    try {
      loadWeights(model);
      if (request.type === 'batches') {
        const work = batchWork[request.work] as (m: CausalLM, o: typeof objective, item: any) => unknown;
        reply({ type: 'batches', results: request.items.map((item) => work(model, objective, item)) });
        return;
      }
      const result = computeGradients(model, () => shareObjective(model, objective, request.share), request.scale);
      for (const [name, grad] of result.grads) grads.set(grad.dataSync() as Float32Array, slotOf.get(name)!.offset);
      tf.dispose([...result.grads.values()]);
      reply({ type: 'gradients', metrics: result.metrics, names: [...result.grads.keys()] });
    } catch (error) {
      replyError(error);
    }
  });
  reply({ type: 'ready' });
} catch (error) {
  replyError(error);
}
