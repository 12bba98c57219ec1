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
