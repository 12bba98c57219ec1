/**
 * Log-probs of token sequences under a causal LM, the quantities every preference loss acts on.
 * Shift by one (the logits at position t-1 predict token t), log-softmax, pick the target token,
 * mask with the batch's completion mask (prompt and padding count 0), sum per row.
 * Everything here is differentiable with respect to the model's weights; masks are constants.
 */
import * as tf from '@tensorflow/tfjs';
import type { TokenBatch } from '../data/batch.ts';
import type { CausalLM } from './llama.ts';

/** The batch's token ids as an int32 [rows, seqLen] tensor. */
export function inputIdsTensor(batch: TokenBatch): tf.Tensor2D {
  return tf.tensor2d(batch.inputIds, [batch.rows, batch.seqLen], 'int32');
}

/**
 * Per-token log-probs [rows, seqLen], aligned with the input: entry t is log p(ids[t] | ids[<t]);
 * entry 0 (no context) is 0. Padding positions hold the (meaningless) log-prob of the pad token.
 */
export function tokenLogprobs(model: CausalLM, batch: TokenBatch): tf.Tensor2D {
  return tf.tidy(() => {
    const { rows, seqLen } = batch;
    const vocab = model.config.vocab_size;
    const ids = inputIdsTensor(batch);
    const logits = tf.reshape(model.forward(ids), [rows * seqLen, vocab]) as tf.Tensor2D;
    // Flat index of the next token in each logits row; the last position of a row predicts nothing.
    const index = new Int32Array(rows * seqLen);
    for (let b = 0; b < rows; b++) {
      for (let t = 0; t < seqLen - 1; t++) {
        const n = b * seqLen + t;
        index[n] = n * vocab + batch.inputIds[n + 1]!;
      }
      const last = b * seqLen + seqLen - 1;
      index[last] = last * vocab;
    }
    const picked = tf.gather(tf.reshape(logits, [-1]), tf.tensor1d(index, 'int32'));
    const next = tf.reshape(tf.sub(picked, tf.logSumExp(logits, 1)), [rows, seqLen]);
    // Shift right by one: the prediction made at t-1 belongs to token t.
    return tf.concat([tf.zeros([rows, 1]), tf.slice(next, [0, 0], [rows, seqLen - 1])], 1) as tf.Tensor2D;
  });
}

/**
 * Summed completion log-probs per row and the number of completion tokens per row.
 * `sums` is differentiable; `counts` is a constant.
 */
export function sequenceLogprobs(model: CausalLM, batch: TokenBatch): { sums: tf.Tensor1D; counts: tf.Tensor1D } {
  return tf.tidy(() => {
    const mask = tf.tensor2d(batch.completionMask, [batch.rows, batch.seqLen]);
    const sums = tf.sum(tf.mul(tokenLogprobs(model, batch), mask), 1) as tf.Tensor1D;
    return { sums, counts: tf.sum(mask, 1) as tf.Tensor1D };
  });
}
