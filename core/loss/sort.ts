/**
 * A differentiable ascending sort of a [B] tensor, shared by the batch-sorted AOT losses (aot,
 * aot-unpaired), in O(B log B) time and O(B) memory.
 *
 * The order comes from `tf.topk(-v, B)`: the indices of the values from smallest to largest.
 * topk breaks ties by the lower index first (cpu and wasm alike), so the sort is stable, as the
 * permutation-matrix sort it replaces and the float64 reference are. The order is a constant for
 * autograd (TopK has no gradient in tfjs): it is computed where the tape cannot see it.
 *
 * sorted = gather(v, order). Its gradient is the inverse permutation applied to dy:
 * d/dv_i = dy_{rank_i}, i.e. gather(dy, inverse(order)). tfjs's own gradient of gather is an
 * UnsortedSegmentSum, which the cpu backend runs as one masked pass per segment (O(B^2): minutes
 * at B = 64k) and the wasm backend lacks (core/runtime/wasm-kernels.ts adds it); the custom
 * gradient here is O(B) on every backend and needs neither.
 */
import { tf } from './tf.ts';

/**
 * A tensor computed by `f` that autograd treats as a constant: `f` runs as the forward of a
 * customGrad without inputs, whose ops the tape does not record and whose node has nothing to
 * backprop into.
 */
function constant<T extends tf.Tensor>(f: () => T): T {
  return tf.customGrad(() => ({ value: f(), gradFunc: () => [] }))() as T;
}

/** The int32 indices that sort `values` ascending (stable); a constant for autograd. Call inside tf.tidy. */
export function ascendingOrder(values: tf.Tensor1D): tf.Tensor1D {
  return constant(() => tf.topk(tf.neg(values), values.shape[0], true).indices as tf.Tensor1D);
}

/** The inverse of a permutation of 0..n-1: inverse[order[k]] = k. */
function inversePermutation(order: tf.Tensor1D): tf.Tensor1D {
  const n = order.shape[0];
  return tf.scatterND(tf.reshape(order, [n, 1]), tf.range(0, n, 1, 'int32'), [n]) as tf.Tensor1D;
}

/** `values` sorted ascending (stable), differentiable. Call inside tf.tidy. */
export function sortAscending(values: tf.Tensor1D): tf.Tensor1D {
  const order = ascendingOrder(values);
  const sort = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [v, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([order]); // kept for the backward pass, which runs after the forward's tidy
    return {
      value: tf.gather(v, order),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.gather(dy, inversePermutation(saved as tf.Tensor1D)),
    };
  });
  return sort(values) as tf.Tensor1D;
}
