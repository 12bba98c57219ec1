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
  /**
   * The same pairs packed one row per pair, the shared prompt computed once
   * (core/data/shared-prompt.ts); when present, log-probs are computed from it (same values).
   */
  packed?: PackedPairs;
}

/** One packed row per pair of a preference batch. */
export interface PackedPairs {
  /** Rows (one per pair). */
  pairs: number;
  /** Length of the longest packed row; shorter rows are right-padded. */
  seqLen: number;
  /** Token ids, [pairs * seqLen]. */
  inputIds: Int32Array;
  /** Rotary position of every token, [pairs * seqLen]: the rejected part restarts after the prefix; padding 0. */
  positions: Int32Array;
  /** Per row, the chosen part [chosenStart, chosenEnd), hidden from every query at or after chosenEnd (the rejected part). */
  chosenStart: Int32Array;
  chosenEnd: Int32Array;
  /** Scored tokens: the flat position (row * seqLen + t) whose logits predict the token. */
  sources: Int32Array;
  /** Scored tokens: the token id predicted. */
  targets: Int32Array;
  /** Scored tokens: the two-sequence row the token counts for (0..pairs-1 chosen, pairs..2*pairs-1 rejected). */
  owners: Int32Array;
  /** Completion tokens per two-sequence row (the completion mask's row sums), [2 * pairs]. */
  counts: Float32Array;
}

