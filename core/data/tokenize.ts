/**
 * Tokenization of prompt/completion text as TRL does it: the prompt alone, then prompt +
 * completion; the completion's tokens are the rest. EOS ends every completion, BOS (when the
 * tokenizer has one) starts every sequence. Sequences are cut to `maxLength` keeping the start.
 */
import type { Tokenizer } from './tokenizer.ts';

/** A prompt + completion sequence: `ids[promptLength..]` are the completion's tokens. */
export interface TokenizedSequence {
  ids: number[];
  /** Number of leading prompt tokens (BOS included). Always < ids.length. */
  promptLength: number;
}

export interface TokenizeOptions {
  /** Longest sequence kept, in tokens (prompt + completion + EOS). */
  maxLength: number;
  /** Prepend the tokenizer's BOS (when it has one and the text does not start with it). Default true. */
  addBos?: boolean;
}

/** Why a sequence was not kept. */
export type DropReason = 'prompt-too-long' | 'empty-completion';

/**
 * Result of tokenizing one prompt/completion; `mismatch` when the prompt's tokens are not a prefix
 * of the full sequence's, `truncated` when the sequence was cut at maxLength.
 */
export type TokenizeResult =
  | { ok: true; sequence: TokenizedSequence; mismatch: boolean; truncated: boolean }
  | { ok: false; reason: DropReason };

function withBos(ids: number[], tokenizer: Tokenizer, addBos: boolean): number[] {
  const bos = tokenizer.bosTokenId;
  if (!addBos || bos === undefined || ids[0] === bos) return ids;
  return [bos, ...ids];
}

/**
 * Tokenizes `prompt` alone and `prompt + completion`, appends EOS, and truncates to maxLength
 * keeping the start. Drops the sequence when the prompt alone fills maxLength (no completion token
 * would survive) or when no completion token is left to score.
 */
export function tokenizePromptCompletion(
  tokenizer: Tokenizer,
  prompt: string,
  completion: string,
  options: TokenizeOptions,
): TokenizeResult {
  const addBos = options.addBos ?? true;
  const promptIds = withBos(tokenizer.encode(prompt), tokenizer, addBos);
  const full = withBos(tokenizer.encode(prompt + completion), tokenizer, addBos);
  if (full[full.length - 1] !== tokenizer.eosTokenId) full.push(tokenizer.eosTokenId);
  const promptLength = Math.min(promptIds.length, full.length - 1);
  const mismatch = promptIds.some((id, i) => full[i] !== id);
  if (promptLength >= options.maxLength) return { ok: false, reason: 'prompt-too-long' };
  const ids = full.slice(0, options.maxLength);
  // Position 0 is never scored (nothing predicts it), so a completion needs a token past it.
  if (ids.length - Math.max(promptLength, 1) < 1) return { ok: false, reason: 'empty-completion' };
  return { ok: true, sequence: { ids, promptLength }, mismatch, truncated: full.length > ids.length };
}
