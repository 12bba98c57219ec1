/**
 * A differentiable ascending sort of a [B] tensor, for the batch-sorted AOT losses.
 *
 * tfjs has no gradient for TopK, and comparison ops other than GreaterEqual have none either, so
 * the sort is a permutation matrix built from GreaterEqual only: rank_i counts the values below
 * v_i plus the equal values at a lower index (a stable sort), P[k, i] = (rank_i == k), and
 * sorted = P v. The gradient flows through the matMul (a 2-D, untransposed one: fast on wasm) to
 * the element that landed at each position.
 */
import * as tf from '@tensorflow/tfjs';

/** 1 where a >= b, else 0, as float32 (GreaterEqual is the comparison tfjs can differentiate through). */
function ge(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.cast(tf.greaterEqual(a, b), 'float32');
}

/** `values` sorted ascending (stable), differentiable. Call inside tf.tidy. */
export function sortAscending(values: tf.Tensor1D): tf.Tensor1D {
  const n = values.shape[0];
  const row = tf.reshape(values, [1, n]); // row[0, j] = v_j
  const col = tf.reshape(values, [n, 1]); // col[i, 0] = v_i
  const below = tf.sub(1, ge(row, col)); // [i, j]: v_j < v_i
  const equal = tf.mul(ge(row, col), ge(col, row)); // [i, j]: v_j == v_i
  const lowerIndex = tf.linalg.bandPart(tf.ones([n, n]), -1, 0).sub(tf.eye(n)); // [i, j]: j < i
  const rank = tf.add(tf.sum(below, 1), tf.sum(tf.mul(equal, lowerIndex), 1)); // [n]
  const positions = tf.reshape(tf.range(0, n, 1, 'float32'), [n, 1]);
  const rankRow = tf.reshape(rank, [1, n]);
  const permutation = tf.mul(ge(rankRow, positions), ge(positions, rankRow)); // [k, i]: rank_i == k
  return tf.reshape(tf.matMul(permutation, col), [n]) as tf.Tensor1D;
}
