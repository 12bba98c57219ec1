/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", arXiv:1711.05101), as
 * torch.optim.AdamW computes it:
 *
 *   w <- w - lr * wd * w                      (decoupled decay; not on biases and norm weights)
 *   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
 *   w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 *
 * Its state (m, v per weight, and t) is saved and restored with a checkpoint, so a resumed run
 * continues exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** transformers' Trainer exempts biases and normalization weights from weight decay. */
export function decays(name: string): boolean {
  return !name.endsWith('.bias') && !name.endsWith('norm.weight');
}

export class AdamW {
  /** Optimizer steps taken. */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly options: AdamWOptions,
  ) {
    for (const [name, param] of params) {
      // tf.variable shares its initial tensor's data: dispose that tensor, or it pins the zeros after the first assign.
      for (const moments of [this.m, this.v]) {
        const zeros = tf.zerosLike(param);
        moments.set(name, tf.variable(zeros, false));
        zeros.dispose();
      }
    }
  }

  /** One update with `grads` (keyed like the params) at learning rate `lr`. */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    for (const [name, param] of this.params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const decayed = weightDecay > 0 && decays(name) ? tf.mul(param, 1 - lr * weightDecay) : param;
        const mNext = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
        const vNext = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
        const update = tf.div(tf.div(mNext, correction1), tf.add(tf.sqrt(tf.div(vNext, correction2)), epsilon));
        m.assign(mNext);
        v.assign(vNext);
        param.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
  }

  /** The state as named float arrays (`m.<param>`, `v.<param>`) plus the step count. */
  async state(): Promise<{ step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> }> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of map) tensors.set(`${kind}.${name}`, { shape: t.shape, data: (await t.data()) as Float32Array });
    }
    return { step: this.step, tensors };
  }

  /** Restores a state saved by `state()`. */
  restore(step: number, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
    this.step = step;
    for (const [kind, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, variable] of map) {
        const saved = tensors.get(`${kind}.${name}`);
        if (!saved) throw new UserError(`optimizer state lacks '${kind}.${name}'`);
        if (saved.shape.join(',') !== variable.shape.join(',') || saved.data.length !== variable.size) {
          throw new UserError(`optimizer state '${kind}.${name}' has shape [${saved.shape}], expected [${variable.shape}]`);
        }
        tf.tidy(() => variable.assign(tf.tensor(saved.data, variable.shape, 'float32')));
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
