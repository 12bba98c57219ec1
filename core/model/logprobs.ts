/**
 * Log-probs of token sequences under a causal LM, the quantities every preference loss acts on.
 * Shift by one (the logits at position t-1 predict token t), log-softmax, pick the target token,
 * mask with the batch's completion mask (prompt and padding count 0), sum per row.
 * A preference batch with packed rows (core/data/shared-prompt.ts) gets the same sums from one row
 * per pair, the scored tokens gathered by their explicit (source position, target id) pairs.
 * Everything here is differentiable with respect to the model's weights; masks are constants.
 */
import * as tf from '@tensorflow/tfjs';
import type { PackedPairs, PreferenceBatch, TokenBatch } from '../data/batch.ts';
import { logSoftmaxAt } from '../runtime/ops.ts';
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
  return tf.tidy(() => nextTokenScores(model, batch, false).logprobs);
}

/**
 * Per-token log-probs [rows, seqLen] as tokenLogprobs, and with `accuracy` a 0/1 tensor of the
 * same layout: 1 where the model's most likely next token (argmax of the logits) is the actual token.
 */
function nextTokenScores(model: CausalLM, batch: TokenBatch, accuracy: boolean): { logprobs: tf.Tensor2D; hits?: tf.Tensor2D } {
  return tf.tidy(() => {
    const { rows, seqLen } = batch;
    const vocab = model.config.vocab_size;
    const ids = inputIdsTensor(batch);
    const logits = tf.reshape(model.forward(ids), [rows * seqLen, vocab]) as tf.Tensor2D;
    // The target of each position is the next token; the last position of a row predicts nothing
    // (target 0, masked out by every caller).
    const targets = new Int32Array(rows * seqLen);
    for (let b = 0; b < rows; b++) {
      for (let t = 0; t < seqLen - 1; t++) targets[b * seqLen + t] = batch.inputIds[b * seqLen + t + 1]!;
    }
    const next = tf.reshape(logSoftmaxAt(logits, targets), [rows, seqLen]);
    // Shift right by one: the prediction made at t-1 belongs to token t.
    const shift = (x: tf.Tensor) => tf.concat([tf.zeros([rows, 1]), tf.slice(x as tf.Tensor2D, [0, 0], [rows, seqLen - 1])], 1) as tf.Tensor2D;
    if (!accuracy) return { logprobs: shift(next) };
    const nextIds = new Int32Array(rows * seqLen);
    for (let n = 0; n < nextIds.length; n++) nextIds[n] = n % seqLen === seqLen - 1 ? -1 : batch.inputIds[n + 1]!;
    const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(nextIds, 'int32')), 'float32');
    return { logprobs: shift(next), hits: shift(tf.reshape(hits, [rows, seqLen]) as tf.Tensor2D) };
  });
}

/**
 * Summed completion log-probs per row and the number of completion tokens per row; with
 * `{ accuracy: true }` also `correct`, the completion tokens per row that are the model's argmax
 * prediction (TRL's mean_token_accuracy is sum(correct) / sum(counts)).
 * `sums` is differentiable; `counts` and `correct` are constants.
 */
export function sequenceLogprobs(
  model: CausalLM,
  batch: TokenBatch,
  options: { accuracy?: boolean } = {},
): { sums: tf.Tensor1D; counts: tf.Tensor1D; correct?: tf.Tensor1D } {
  return tf.tidy(() => {
    const mask = tf.tensor2d(batch.completionMask, [batch.rows, batch.seqLen]);
    const { logprobs, hits } = nextTokenScores(model, batch, options.accuracy ?? false);
    const sums = tf.sum(tf.mul(logprobs, mask), 1) as tf.Tensor1D;
    const counts = tf.sum(mask, 1) as tf.Tensor1D;
    return hits ? { sums, counts, correct: tf.sum(tf.mul(hits, mask), 1) as tf.Tensor1D } : { sums, counts };
  });
}

/**
 * sequenceLogprobs of the two-sequence rows of a preference batch (0..B-1 chosen, B..2B-1
 * rejected), computed from its packed rows when it has them (one forward row per pair).
 */
export function preferenceLogprobs(
  model: CausalLM,
  batch: PreferenceBatch,
  options: { accuracy?: boolean } = {},
): { sums: tf.Tensor1D; counts: tf.Tensor1D; correct?: tf.Tensor1D } {
  return batch.packed ? packedLogprobs(model, batch.packed, options) : sequenceLogprobs(model, batch.tokens, options);
}

/**
 * sequenceLogprobs of the two-sequence rows that `packed` holds, [2 * pairs] each: the logits are
 * computed at the scored tokens' source positions only, and each token's log-prob is added to the
 * row it counts for.
 */
export function packedLogprobs(
  model: CausalLM,
  packed: PackedPairs,
  options: { accuracy?: boolean } = {},
): { sums: tf.Tensor1D; counts: tf.Tensor1D; correct?: tf.Tensor1D } {
  return tf.tidy(() => {
    const rows = 2 * packed.pairs;
    const ids = tf.tensor2d(packed.inputIds, [packed.pairs, packed.seqLen], 'int32');
    const hiddenSpans = { start: packed.chosenStart, end: packed.chosenEnd };
    const logits = model.forwardAt(ids, packed.sources, { positions: packed.positions, hiddenSpans }); // [scored, vocab]
    const owners = tf.tensor1d(packed.owners, 'int32');
    const sums = tf.unsortedSegmentSum(logSoftmaxAt(logits, packed.targets), owners, rows) as tf.Tensor1D;
    const counts = tf.tensor1d(packed.counts);
    if (!options.accuracy) return { sums, counts };
    const hits = tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(packed.targets, 'int32')), 'float32');
    return { sums, counts, correct: tf.unsortedSegmentSum(hits, owners, rows) as tf.Tensor1D };
  });
}
