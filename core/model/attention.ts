/**
 * Scaled dot-product attention, softmax(q k^T / sqrt(hd) + mask) v, with a gradient that keeps
 * memory in line with q, k and v rather than with the [B, H, T, T_k] score matrices.
 *
 * Left to autodiff, every intermediate of the scores (q k^T, its scaled copy, the masked copy, the
 * softmax, per-head copies) stays on the tape from the forward pass until the backward pass: about
 * eight [B, H, T, T_k] tensors per layer, which dominate a small model's training memory. Here the
 * forward pass keeps only q, k, v, the (constant) mask and the output O, and the backward pass
 * recomputes the probabilities P one block at a time, as FlashAttention does (Dao et al., 2022,
 * "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness", Algorithm 4):
 *
 *   S = q k^T * s + mask,  P = softmax(S),  O = P v,         s = 1 / sqrt(hd)
 *   dV = P^T dO,  dP = dO V^T,  dS = P ⊙ (dP - D),  D = rowsum(dO ⊙ O) (= rowsum(dP ⊙ P)),
 *   dQ = dS K * s,  dK = dS^T Q * s.
 *
 * A block is one (batch row, head) pair with 2-D untransposed matMuls (the shape wasm runs through
 * XNNPACK, see core/runtime/ops.ts), or a group of batch rows with batched matMuls (other
 * backends), so at most one block's [T, T_k] matrices are alive at a time in either pass.
 */
import * as tf from '@tensorflow/tfjs';

/** Batched blocks hold at most this many score elements ([rows, H, T, T_k]; 1 MB of float32), or one batch row. */
const BATCHED_BLOCK_ELEMENTS = 1 << 18;

/** How a [B, H, R, C] tensor is cut into blocks and put back together. */
interface Tiling {
  split(x: tf.Tensor4D): tf.Tensor[];
  /** The mask [B, 1, T, T_k] of each block, in block order. */
  splitMask(mask: tf.Tensor4D): tf.Tensor[];
  join(blocks: tf.Tensor[], shape: [number, number, number, number]): tf.Tensor4D;
}

/** One [R, C] block per (batch row, head). */
function perHeadTiling(batch: number, heads: number): Tiling {
  return {
    split: (x) => tf.unstack(tf.reshape(x, [batch * heads, x.shape[2], x.shape[3]])),
    splitMask: (mask) => {
      const rows = tf.unstack(tf.reshape(mask, [batch, mask.shape[2], mask.shape[3]]));
      return Array.from({ length: batch * heads }, (_, i) => rows[Math.floor(i / heads)]!);
    },
    join: (blocks, shape) => tf.reshape(tf.stack(blocks), shape),
  };
}

/** Blocks of whole batch rows, [rows, H, R, C], each with at most BATCHED_BLOCK_ELEMENTS scores. */
function batchedTiling(batch: number, heads: number, t: number, tk: number): Tiling {
  const rows = Math.max(1, Math.min(batch, Math.floor(BATCHED_BLOCK_ELEMENTS / (heads * t * tk))));
  const sizes = Array.from({ length: Math.ceil(batch / rows) }, (_, i) => Math.min(rows, batch - i * rows));
  const split = (x: tf.Tensor4D) => (sizes.length === 1 ? [x] : tf.split(x, sizes, 0));
  return {
    split,
    splitMask: split,
    join: (blocks, shape) => (blocks.length === 1 ? (blocks[0] as tf.Tensor4D) : tf.reshape(tf.concat(blocks, 0), shape)),
  };
}

/** x with its last two dimensions swapped. */
function swapLast(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.transpose(x);
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [x.rank - 1, x.rank - 2];
  return tf.transpose(x, perm);
}

/** P = softmax(qScaled k^T + mask) of one block; the same ops in both passes, so the same values. */
function probabilities(qScaled: tf.Tensor, kT: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  return tf.softmax(tf.add(tf.matMul(qScaled, kT), mask));
}

/**
 * softmax(q k^T / sqrt(hd) + mask) v for q [B, H, T, hd], k/v [B, H, T_k, hd] and an additive mask
 * [B, 1, T, T_k] (a constant: no gradient flows into it); returns [B, H, T, hd].
 */
function attend(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D, tiling: Tiling): tf.Tensor4D {
  const scale = 1 / Math.sqrt(q.shape[3]);
  const kernel = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [qIn, kIn, vIn, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const qs = tiling.split(tf.mul(qIn, scale) as tf.Tensor4D);
    const kTs = tiling.split(swapLast(kIn) as tf.Tensor4D);
    const vs = tiling.split(vIn);
    const masks = tiling.splitMask(mask);
    const outs = qs.map((qBlock, i) => tf.tidy(() => tf.matMul(probabilities(qBlock, kTs[i]!, masks[i]!), vs[i]!)));
    const out = tiling.join(outs, qIn.shape);
    save([qIn, kIn, vIn, mask, out]);
    return {
      value: out,
      // tfjs runs a gradFunc outside any scope: tidy frees the blocks here, not at the pass's end.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sq, sk, sv, sMask, sOut] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
        const rowTerm = tf.sum(tf.mul(dy, sOut), -1, true) as tf.Tensor4D; // D = rowsum(dO ⊙ O): [B, H, T, 1]
        const qsB = tiling.split(tf.mul(sq, scale) as tf.Tensor4D);
        const kTsB = tiling.split(swapLast(sk) as tf.Tensor4D);
        const ksB = tiling.split(sk);
        const vTsB = tiling.split(swapLast(sv) as tf.Tensor4D);
        const dys = tiling.split(dy as tf.Tensor4D);
        const ds = tiling.split(rowTerm);
        const masksB = tiling.splitMask(sMask);
        const dq: tf.Tensor[] = [];
        const dk: tf.Tensor[] = [];
        const dv: tf.Tensor[] = [];
        qsB.forEach((qBlock, i) => {
          const [dqBlock, dkBlock, dvBlock] = tf.tidy(() => {
            const p = probabilities(qBlock, kTsB[i]!, masksB[i]!);
            const dP = tf.matMul(dys[i]!, vTsB[i]!);
            const dS = tf.mul(p, tf.sub(dP, ds[i]!));
            return [tf.matMul(dS, ksB[i]!), tf.matMul(swapLast(dS), qBlock), tf.matMul(swapLast(p), dys[i]!)];
          });
          dq.push(dqBlock!);
          dk.push(dkBlock!);
          dv.push(dvBlock!);
        });
        return [tf.mul(tiling.join(dq, sq.shape), scale), tiling.join(dk, sk.shape), tiling.join(dv, sv.shape)];
      }),
    };
  }) as (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D;
  return kernel(q, k, v);
}

/** Attention with batched matMuls over groups of batch rows (backends other than wasm, decoding steps). */
export function attendBatched(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const [batch, heads, t] = q.shape;
  return attend(q, k, v, mask, batchedTiling(batch, heads, t, k.shape[2]));
}

/** The same with one 2-D matMul per (batch row, head), the shape wasm runs through XNNPACK. */
export function attend2d(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D {
  const [batch, heads] = q.shape;
  return attend(q, k, v, mask, perHeadTiling(batch, heads));
}
