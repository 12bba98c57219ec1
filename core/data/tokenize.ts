/**
 * Tokenization of prompt/completion pairs exactly as TRL's DPOTrainer and SFTTrainer do it (v1.x):
 * the prompt alone and prompt + completion are tokenized, the completion's tokens are the rest.
 * - standard (strings): EOS text is appended to the completion unless it already ends with it, and
 *   both texts are encoded with the tokenizer's special tokens (its post-processor's BOS, if any);
 * - conversational (messages): the prompt is rendered with `add_generation_prompt`, prompt +
 *   completion without, and both are encoded without special tokens (the template writes BOS and
 *   its own end-of-turn; no EOS is added).
 * Sequences are cut to `maxLength` keeping the start.
 */
import { renderChat, type RenderOptions } from './chat.ts';
import type { Message } from './records.ts';
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

/** Token ids of the prompt alone and of prompt + completion, before splitting. */
export interface PromptAndFullIds {
  promptIds: number[];
  fullIds: number[];
}

/** The prompt's ids (encoded once, as TRL does per pair) and prompt + answer ids for each answer. */
export interface PromptAndAnswerIds {
  promptIds: number[];
  fullIds: number[][];
}

/** TRL's tokenization of a standard (text) prompt and its answers. */
export function tokenizeTexts(tokenizer: Tokenizer, prompt: string, answers: readonly string[]): PromptAndAnswerIds {
  const eos = tokenizer.specialTokens?.eos_token;
  const promptIds = tokenizer.encode(prompt, { addSpecialTokens: true });
  const fullIds = answers.map((answer) => {
    const text = eos === undefined || answer.endsWith(eos) ? answer : answer + eos;
    const ids = tokenizer.encode(prompt + text, { addSpecialTokens: true });
    // A tokenizer without an EOS text (a test double) gets the EOS id instead.
    if (eos === undefined && ids.at(-1) !== tokenizer.eosTokenId) ids.push(tokenizer.eosTokenId);
    return ids;
  });
  return { promptIds, fullIds };
}

/** TRL's tokenization of a conversational prompt and its answers through a chat template. */
export function tokenizeConversation(
  tokenizer: Tokenizer,
  template: string,
  prompt: Message[],
  answers: readonly Message[][],
  options: Omit<RenderOptions, 'addGenerationPrompt'>,
): PromptAndAnswerIds {
  const promptText = renderChat(template, prompt, { ...options, addGenerationPrompt: true });
  const fullIds = answers.map((answer) => tokenizer.encode(renderChat(template, [...prompt, ...answer], { ...options, addGenerationPrompt: false })));
  return { promptIds: tokenizer.encode(promptText), fullIds };
}

/**
 * Splits prompt + completion at the prompt's length and truncates to maxLength keeping the start.
 * Drops the sequence when the prompt alone fills maxLength (no completion token would survive,
 * TRL's filter) or when no completion token is left to score.
 */
export function splitPromptCompletion({ promptIds, fullIds }: PromptAndFullIds, options: TokenizeOptions): TokenizeResult {
  const promptLength = Math.min(promptIds.length, fullIds.length - 1);
  const mismatch = promptIds.some((id, i) => fullIds[i] !== id);
  if (promptIds.length >= options.maxLength) return { ok: false, reason: 'prompt-too-long' };
  const ids = fullIds.slice(0, options.maxLength);
  // Position 0 is never scored (nothing predicts it), so a completion needs a token past it.
  if (ids.length - Math.max(promptLength, 1) < 1) return { ok: false, reason: 'empty-completion' };
  return { ok: true, sequence: { ids, promptLength }, mismatch, truncated: fullIds.length > ids.length };
}

/** Tokenizes a standard prompt and completion (TRL's way) and splits/truncates them. */
export function tokenizePromptCompletion(tokenizer: Tokenizer, prompt: string, completion: string, options: TokenizeOptions): TokenizeResult {
  const { promptIds, fullIds } = tokenizeTexts(tokenizer, prompt, [completion]);
  return splitPromptCompletion({ promptIds, fullIds: fullIds[0]! }, options);
}
