/**
 * A training step in two halves, so data-parallel workers can later share one:
 * `computeGradients(objective)` for a microbatch, summed into a `GradientAccumulator`, then
 * clipped by global norm and handed to the optimizer.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/llama.ts';
import type { Objective } from './objectives.ts';

export interface MicrobatchGradients {
  /** Gradients keyed by HF weight name, already scaled by `scale`. */
  grads: Map<string, tf.Tensor>;
  metrics: Record<string, number>;
}

/**
 * Gradients of `scale * objective().loss` with respect to the trainable weights of `model` (all of
 * them, or only the adapters' under LoRA: frozen weights get none computed). The objective builds
 * its loss inside the gradient tape; its metrics come back as plain numbers.
 */
export function computeGradients(model: CausalLM, objective: () => Objective, scale: number): MicrobatchGradients {
  const names = new Map([...model.trainable].map(([name, variable]) => [variable.name, name]));
  let metrics: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const result = objective();
    metrics = result.metrics;
    return tf.mul(result.loss, scale) as tf.Scalar;
  }, model.trainableVariables());
  value.dispose();
  const byName = new Map<string, tf.Tensor>();
  for (const [variableName, grad] of Object.entries(grads)) byName.set(names.get(variableName)!, grad);
  return { grads: byName, metrics };
}

/** Sums microbatch gradients; owns the summed tensors until `take()` or `dispose()`. */
export class GradientAccumulator {
  private sum = new Map<string, tf.Tensor>();

  add(grads: Map<string, tf.Tensor>): void {
    for (const [name, grad] of grads) {
      const previous = this.sum.get(name);
      if (previous) {
        this.sum.set(name, tf.add(previous, grad));
        previous.dispose();
        grad.dispose();
      } else {
        this.sum.set(name, grad);
      }
    }
  }

  /** The summed gradients; the accumulator starts empty again and the caller owns them. */
  take(): Map<string, tf.Tensor> {
    const sum = this.sum;
    this.sum = new Map();
    return sum;
  }

  dispose(): void {
    for (const t of this.sum.values()) t.dispose();
    this.sum.clear();
  }
}

/** sqrt(sum of squares) over every gradient. */
export function globalNorm(grads: Map<string, tf.Tensor>): number {
  return tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
}

/** Scales the gradients in place so their global norm is at most `maxNorm` (0: no clipping). */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, norm: number, maxNorm: number): void {
  if (maxNorm <= 0 || norm <= maxNorm) return;
  const factor = maxNorm / (norm + 1e-6);
  for (const [name, grad] of grads) {
    grads.set(name, tf.mul(grad, factor));
    grad.dispose();
  }
}
