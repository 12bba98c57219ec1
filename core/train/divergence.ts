/**
 * Divergence checks of the training loop: a run whose loss, gradient or weights stop being finite,
 * whose weights blow up, or whose gradient vanishes to exactly 0 while the loss is not 0 (a
 * saturated loss: nothing will change any more) is stopped with a diagnosis, instead of training
 * on (and saving) garbage. The message names the last checkpoint whose weights are verified finite.
 *
 *   before each update:  loss/metrics finite, gradient norm finite,
 *                        gradient norm exactly 0 with a non-zero loss for `zeroGradientSteps` steps
 *   after each update:   weight norm finite and <= `weightGrowth` x the norm at the start
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import type { CausalLM } from '../model/llama.ts';

/** A training run stopped because it diverged (see the module comment for what counts). */
export class TrainingDiverged extends UserError {
  override name = 'TrainingDiverged';
}

export interface DivergenceLimits {
  /** Stop when the weight norm exceeds this multiple of its value at the start (default 1000). */
  weightGrowth: number;
  /** Stop after this many consecutive steps with a gradient of exactly 0 and a non-zero loss (default 3). */
  zeroGradientSteps: number;
}

export const DEFAULT_DIVERGENCE_LIMITS: DivergenceLimits = { weightGrowth: 1000, zeroGradientSteps: 3 };

/** The global L2 norm of the model's trained weights (one number read back). */
export function weightNorm(model: CausalLM): number {
  return tf.tidy(() => tf.sqrt(tf.addN(model.trainableVariables().map((v) => tf.sum(tf.square(v))))).dataSync()[0]!);
}

/** Watches one run; `beforeUpdate` and `afterUpdate` return a diagnosis, or undefined when all is well. */
export class DivergenceMonitor {
  private readonly startNorm: number;
  private zeroSteps = 0;

  constructor(
    private readonly model: CausalLM,
    private readonly limits: DivergenceLimits = DEFAULT_DIVERGENCE_LIMITS,
  ) {
    this.startNorm = weightNorm(model);
  }

  /** Checks a step's metrics and gradient norm before the update is applied. */
  beforeUpdate(metrics: Record<string, number>, gradNorm: number): string | undefined {
    const bad = Object.entries(metrics).filter(([, v]) => !Number.isFinite(v)).map(([k, v]) => `${k}=${v}`);
    if (!Number.isFinite(gradNorm)) bad.push(`grad_norm=${gradNorm}`);
    if (bad.length > 0) return `non-finite ${bad.join(', ')}`;
    const loss = metrics.loss;
    this.zeroSteps = gradNorm === 0 && loss !== undefined && loss !== 0 ? this.zeroSteps + 1 : 0;
    if (this.zeroSteps >= this.limits.zeroGradientSteps) {
      return (
        `the gradient has been exactly 0 for ${this.zeroSteps} steps while the loss is ${loss}: the loss is saturated ` +
        '(the weights or logits overflowed) and training cannot make progress; lower train.learningRate'
      );
    }
    return undefined;
  }

  /** Checks the weights after an update. */
  afterUpdate(): string | undefined {
    const norm = weightNorm(this.model);
    if (!Number.isFinite(norm)) return `the weights became non-finite (weight norm ${norm})`;
    if (norm > this.limits.weightGrowth * Math.max(this.startNorm, 1e-6)) {
      return `the weights blew up: weight norm ${norm.toPrecision(3)}, ${(norm / this.startNorm).toPrecision(3)}x its ${this.startNorm.toPrecision(3)} at the start (limit ${this.limits.weightGrowth}x); lower train.learningRate`;
    }
    return undefined;
  }
}
