/**
 * Backend-friendly building blocks for the model. The wasm backend runs matMul through XNNPACK only
 * for 2-D, untransposed operands; transposed or batched operands fall back to a naive loop that is
 * 10-20x slower. tfjs's own matMul gradient uses transposed operands, so `matMul2d` gives matMul a
 * custom gradient that materializes the transposes first and then multiplies untransposed.
 *
 * Every custom gradient here runs its body in tf.tidy: tfjs calls a customGrad's gradFunc outside
 * any scope, so its intermediates (the transposes) would otherwise live until the whole backward
 * pass ends.
 */
import * as tf from '@tensorflow/tfjs';

/** a [m, k] @ b [k, n], with a gradient built from untransposed 2-D matMuls. */
export const matMul2d = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    }),
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * x [m, k] @ w [k, n] for a constant w (a frozen weight, e.g. under LoRA): the gradient goes to x
 * only (dy @ w^T); the weight's gradient, half of a layer's backward matMuls, is never computed.
 */
export function matMul2dFrozen(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const product = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([w]);
    return {
      value: tf.matMul(a, w) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => [tf.matMul(dy as tf.Tensor2D, tf.transpose(saved[0] as tf.Tensor2D))]),
    };
  }) as (a: tf.Tensor2D) => tf.Tensor2D;
  return product(x);
}

/**
 * SwiGLU's product silu(gate) * up = gate * sigmoid(gate) * up, with a written-out gradient that
 * keeps only gate and up (autodiff keeps sigmoid(gate), silu(gate) and their gradients too):
 *   d gate = dy * up * s * (1 + gate * (1 - s)),  d up = dy * gate * s,  s = sigmoid(gate).
 */
export const swiGlu = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [gate, up, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([gate, up]);
  return {
    value: tf.mul(tf.mul(gate, tf.sigmoid(gate)), up),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
      const [g, u] = saved as [tf.Tensor2D, tf.Tensor2D];
      const s = tf.sigmoid(g);
      return [tf.mul(tf.mul(dy, u), tf.mul(s, tf.add(1, tf.mul(g, tf.sub(1, s))))), tf.mul(dy, tf.mul(g, s))];
    }),
  };
}) as (gate: tf.Tensor2D, up: tf.Tensor2D) => tf.Tensor2D;

/**
 * RMSNorm, y = w * x * r with r = 1 / sqrt(mean(x^2) + eps) per row of x [N, d], with a
 * written-out gradient that keeps x, w and r [N, 1] (autodiff keeps x^2, x * r and their gradients):
 *   dx = r * g - x * r^3 * mean(g * x),  g = dy * w;   dw = sum over rows of dy * x * r.
 */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const norm = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xIn, w, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xIn), -1, true), eps));
    save([xIn, w, r]);
    return {
      value: tf.mul(w, tf.mul(xIn, r)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sx, sw, sr] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
        const g = tf.mul(dy, sw);
        const dx = tf.sub(tf.mul(sr, g), tf.mul(tf.mul(sx, tf.pow(sr, 3)), tf.mean(tf.mul(g, sx), -1, true)));
        return [dx, tf.sum(tf.mul(dy, tf.mul(sx, sr)), 0)];
      }),
    };
  }) as (x: tf.Tensor2D, w: tf.Tensor1D) => tf.Tensor2D;
  return norm(x, weight);
}

/**
 * log softmax(logits)[n, targets[n]] for logits [N, V]: each row's log-probability of its target.
 * Its gradient is written out, d/dlogits = dy * (onehot(target) - softmax(logits)): tf.logSumExp's
 * own gradient goes through tf.max's, a broadcast `Equal` that wasm runs ~30x slower than `Sub`.
 * (The one-hot is made int32 and cast: wasm's OneHot writes int bits into a float32 output.)
 */
export function logSoftmaxAt(logits: tf.Tensor2D, targets: Int32Array): tf.Tensor1D {
  const [n, vocab] = logits.shape;
  const flat = tf.tensor1d(Int32Array.from(targets, (target, i) => i * vocab + target), 'int32');
  const pick = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const logNorm = tf.logSumExp(x, 1, true); // [N, 1]
    save([x, logNorm]);
    return {
      value: tf.sub(tf.gather(tf.reshape(x, [-1]), flat), tf.reshape(logNorm, [n])),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sx, sn] = saved as [tf.Tensor2D, tf.Tensor2D];
        const softmax = tf.exp(tf.sub(sx, sn));
        return [tf.mul(tf.sub(tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), vocab), 'float32'), softmax), tf.reshape(dy, [n, 1]))];
      }),
    };
  }) as (x: tf.Tensor2D) => tf.Tensor1D;
  return pick(logits);
}
