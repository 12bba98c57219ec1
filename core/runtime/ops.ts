/**
 * Backend-friendly building blocks for the model. The wasm backend runs matMul through XNNPACK only
 * for 2-D, untransposed operands; transposed or batched operands fall back to a naive loop that is
 * 10-20x slower. tfjs's own matMul gradient uses transposed operands, so `matMul2d` gives matMul a
 * custom gradient that materializes the transposes first and then multiplies untransposed.
 */
import * as tf from '@tensorflow/tfjs';

/** a [m, k] @ b [k, n], with a gradient built from untransposed 2-D matMuls. */
export const matMul2d = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * Batched a [..., m, k] @ b [..., k, n] with the same explicit-transpose gradient (batched matMul
 * still takes wasm's slow path, but untransposed operands at least avoid the worst case).
 */
export const batchMatMul = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  const swap = (t: tf.Tensor): tf.Tensor => {
    const perm = t.shape.map((_, i) => i);
    [perm[perm.length - 1], perm[perm.length - 2]] = [perm[perm.length - 2]!, perm[perm.length - 1]!];
    return tf.transpose(t, perm);
  };
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      return [tf.matMul(dy, swap(sb)), tf.matMul(swap(sa), dy)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** x [N, in] times an HF-layout weight [out, in] (+ bias [out]): x @ W^T + b. */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const y = matMul2d(x, tf.transpose(weight));
  return bias ? tf.add(y, bias) : y;
}

/** log sigma(x) as -softplus(-x): tf.logSigmoid's gradient is wrong on intermediate tensors in 4.22. */
export function logSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.softplus(tf.neg(x)));
}
