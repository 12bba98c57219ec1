/**
 * Collation of tokenized sequences into padded batches (core/data/batch.ts): right padding with
 * the tokenizer's pad id; the completion mask marks completion tokens, never position 0 or padding.
 */
import type { PreferenceBatch, TokenBatch } from './batch.ts';
import { packSharedPrompt } from './shared-prompt.ts';
import type { TokenizedSequence } from './tokenize.ts';

export interface CollateOptions {
  padTokenId: number;
  /**
   * Pad every row to exactly this length (>= the longest row) instead of the longest row, so all
   * batches share one shape (tfjs then reuses compiled kernels).
   */
  seqLen?: number;
}

export interface PreferenceCollateOptions extends CollateOptions {
  /**
   * Also pack each pair into one row that computes the shared prompt once (`train.sharePrompt`;
   * default true): log-probs are then computed from the packed rows, with the same values.
   */
  sharePrompt?: boolean;
}

/** A chosen/rejected pair of tokenized sequences sharing one prompt. */
export interface TokenizedPair {
  chosen: TokenizedSequence;
  rejected: TokenizedSequence;
}

/** Pads `sequences` into a TokenBatch, in order. */
export function collateSequences(sequences: readonly TokenizedSequence[], options: CollateOptions): TokenBatch {
  const longest = Math.max(1, ...sequences.map((s) => s.ids.length));
  if (options.seqLen !== undefined && options.seqLen < longest) {
    throw new RangeError(`collate: seqLen ${options.seqLen} is shorter than the longest sequence (${longest})`);
  }
  const seqLen = options.seqLen ?? longest;
  const rows = sequences.length;
  const inputIds = new Int32Array(rows * seqLen).fill(options.padTokenId);
  const completionMask = new Float32Array(rows * seqLen);
  sequences.forEach(({ ids, promptLength }, row) => {
    const offset = row * seqLen;
    inputIds.set(ids, offset);
    for (let i = Math.max(promptLength, 1); i < ids.length; i++) completionMask[offset + i] = 1;
  });
  return { rows, seqLen, inputIds, completionMask };
}

/**
 * Rows 0..B-1 are the chosen sequences, rows B..2B-1 the rejected ones in the same order; with
 * `sharePrompt` (the default) also the packed rows of core/data/shared-prompt.ts.
 */
export function collatePreference(pairs: readonly TokenizedPair[], options: PreferenceCollateOptions): PreferenceBatch {
  const tokens = collateSequences([...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)], options);
  const batch: PreferenceBatch = { pairs: pairs.length, tokens };
  const packed = options.sharePrompt === false ? undefined : packSharedPrompt(batch, options.padTokenId);
  return packed ? { ...batch, packed } : batch;
}
