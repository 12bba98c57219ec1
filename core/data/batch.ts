/**
 * Collated token batches, the hand-off from the data pipeline to the model and trainer.
 * Row-major [rows, seqLen] arrays, padded on the right.
 */
export interface TokenBatch {
  rows: number;
  seqLen: number;
  /** Token ids, [rows * seqLen]. */
  inputIds: Int32Array;
  /**
   * 1 where the token at that position is a completion token whose log-prob counts (it is
   * predicted from the logits at the previous position), 0 for prompt and padding. Position 0 is
   * always 0. [rows * seqLen].
   */
  completionMask: Float32Array;
}

/**
 * A preference batch: rows 0..pairs-1 are the chosen sequences, rows pairs..2*pairs-1 the
 * rejected ones in the same order, so both go through one forward pass.
 */
export interface PreferenceBatch {
  pairs: number;
  tokens: TokenBatch;
}
