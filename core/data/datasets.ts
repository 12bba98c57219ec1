/**
 * Loading JSONL datasets into tokenized examples: preference pairs and SFT prompt/completions,
 * standard or conversational (rendered with the tokenizer's chat template). Bad records stop the
 * load with `FILE:LINE: field ...`, or with `skipInvalid` are skipped and counted.
 */
import { UserError } from '../errors.ts';
import type { Tokenizer } from './tokenizer.ts';
import { DEFAULT_CHAT_TEMPLATE, renderPromptAndAnswer, type TemplateContext } from './chat.ts';
import type { TokenizedPair } from './collate.ts';
import { readJsonl, sourceName } from './jsonl.ts';
import {
  parsePreferenceRecord,
  parseSftRecord,
  type DataFormat,
  type Message,
  type PreferenceRecord,
  type RecordSource,
  type SftRecord,
  type TextOrMessages,
} from './records.ts';
import { tokenizePromptCompletion, type DropReason, type TokenizedSequence } from './tokenize.ts';

export interface LoadOptions {
  /** Longest sequence kept, in tokens. */
  maxLength: number;
  /** Record format expected (default 'auto': decided per record from `prompt`). */
  format?: DataFormat;
  /** Skip (and count) invalid records instead of failing on the first. Default false. */
  skipInvalid?: boolean;
  /** Chat template for conversational records; default the tokenizer's, else DEFAULT_CHAT_TEMPLATE. */
  chatTemplate?: string;
  /** Extra template variables, e.g. `{ bos_token: '<s>' }`. */
  templateContext?: TemplateContext;
  /** Prepend BOS when the tokenizer has one (default true). */
  addBos?: boolean;
}

/** What happened to the records of a file. */
export interface LoadStats {
  file: string;
  /** Non-blank lines read. */
  records: number;
  /** Examples kept. */
  kept: number;
  /** Invalid records skipped (skipInvalid). */
  skippedInvalid: number;
  /** Records dropped because the prompt alone fills maxLength. */
  droppedPromptTooLong: number;
  /** Records dropped because no completion token is left to score. */
  droppedEmptyCompletion: number;
  /** Kept examples with a sequence cut at maxLength. */
  truncated: number;
  /** Sequences whose prompt tokens are not a prefix of the prompt+completion tokens (merges across the boundary). */
  promptMismatch: number;
  /** The first few skipped records' errors, `FILE:LINE: message`. */
  invalidExamples: string[];
}

export interface PreferenceExample extends TokenizedPair {
  source: RecordSource;
}

export interface SftExample {
  sequence: TokenizedSequence;
  source: RecordSource;
}

export interface Dataset<T> {
  examples: T[];
  stats: LoadStats;
}

const MAX_INVALID_EXAMPLES = 5;

function emptyStats(file: string): LoadStats {
  return {
    file, records: 0, kept: 0, skippedInvalid: 0, droppedPromptTooLong: 0, droppedEmptyCompletion: 0,
    truncated: 0, promptMismatch: 0, invalidExamples: [],
  };
}

/** Reads and validates every record of a file; invalid ones throw, or are counted with skipInvalid. */
async function readRecords<R>(
  file: string,
  parse: (value: unknown, src: RecordSource) => R,
  options: LoadOptions,
  stats: LoadStats,
): Promise<R[]> {
  const name = sourceName(file);
  const out: R[] = [];
  for (const { line, value } of await readJsonl(file)) {
    stats.records += 1;
    try {
      out.push(parse(value, { file: name, line }));
    } catch (error) {
      if (!(options.skipInvalid && error instanceof UserError)) throw error;
      stats.skippedInvalid += 1;
      if (stats.invalidExamples.length < MAX_INVALID_EXAMPLES) stats.invalidExamples.push(error.message);
    }
  }
  return out;
}

/** Prompt and answer as text: strings as they are, conversations through the chat template. */
export function recordTexts(
  prompt: TextOrMessages,
  answer: TextOrMessages,
  field: string,
  source: RecordSource,
  template: string,
  context?: TemplateContext,
): { prompt: string; answer: string } {
  if (typeof prompt === 'string' && typeof answer === 'string') return { prompt, answer };
  return renderPromptAndAnswer(template, prompt as Message[], answer as Message[], { context, source, field });
}

function tokenizeInto(
  tokenizer: Tokenizer,
  texts: { prompt: string; answer: string },
  options: LoadOptions,
  stats: LoadStats,
): { sequence: TokenizedSequence; truncated: boolean } | DropReason {
  const result = tokenizePromptCompletion(tokenizer, texts.prompt, texts.answer, options);
  if (!result.ok) return result.reason;
  if (result.mismatch) stats.promptMismatch += 1;
  return { sequence: result.sequence, truncated: result.truncated };
}

function countDrop(reason: DropReason, stats: LoadStats): void {
  if (reason === 'prompt-too-long') stats.droppedPromptTooLong += 1;
  else stats.droppedEmptyCompletion += 1;
}

function templateFor(tokenizer: Tokenizer, options: LoadOptions): string {
  return options.chatTemplate ?? tokenizer.chatTemplate ?? DEFAULT_CHAT_TEMPLATE;
}

/** Preference records of a file, validated (no tokenization): for generation and inspection. */
export async function readPreferenceRecords(file: string, options: Pick<LoadOptions, 'format' | 'skipInvalid'> = {}): Promise<PreferenceRecord[]> {
  const opts = { maxLength: 0, ...options };
  return readRecords(file, (v, src) => parsePreferenceRecord(v, src, opts.format), opts, emptyStats(file));
}

/** SFT records of a file, validated (no tokenization). */
export async function readSftRecords(file: string, options: Pick<LoadOptions, 'format' | 'skipInvalid'> = {}): Promise<SftRecord[]> {
  const opts = { maxLength: 0, ...options };
  return readRecords(file, (v, src) => parseSftRecord(v, src, opts.format), opts, emptyStats(file));
}

/** Tokenizes preference records; pairs where either side is dropped are counted once. */
export function tokenizePreferenceRecords(
  records: readonly PreferenceRecord[],
  tokenizer: Tokenizer,
  options: LoadOptions,
  stats: LoadStats = emptyStats('<records>'),
): Dataset<PreferenceExample> {
  const template = templateFor(tokenizer, options);
  const examples: PreferenceExample[] = [];
  for (const record of records) {
    const chosen = tokenizeInto(tokenizer, recordTexts(record.prompt, record.chosen, 'chosen', record.source, template, options.templateContext), options, stats);
    const rejected = tokenizeInto(tokenizer, recordTexts(record.prompt, record.rejected, 'rejected', record.source, template, options.templateContext), options, stats);
    if (typeof chosen === 'string' || typeof rejected === 'string') {
      countDrop(typeof chosen === 'string' ? chosen : (rejected as DropReason), stats);
      continue;
    }
    if (chosen.truncated || rejected.truncated) stats.truncated += 1;
    examples.push({ chosen: chosen.sequence, rejected: rejected.sequence, source: record.source });
  }
  stats.kept = examples.length;
  return { examples, stats };
}

/** Tokenizes SFT records. */
export function tokenizeSftRecords(
  records: readonly SftRecord[],
  tokenizer: Tokenizer,
  options: LoadOptions,
  stats: LoadStats = emptyStats('<records>'),
): Dataset<SftExample> {
  const template = templateFor(tokenizer, options);
  const examples: SftExample[] = [];
  for (const record of records) {
    const result = tokenizeInto(tokenizer, recordTexts(record.prompt, record.completion, 'completion', record.source, template, options.templateContext), options, stats);
    if (typeof result === 'string') {
      countDrop(result, stats);
      continue;
    }
    if (result.truncated) stats.truncated += 1;
    examples.push({ sequence: result.sequence, source: record.source });
  }
  stats.kept = examples.length;
  return { examples, stats };
}

/** Reads, validates and tokenizes a preference JSONL file. */
export async function loadPreferenceDataset(file: string, tokenizer: Tokenizer, options: LoadOptions): Promise<Dataset<PreferenceExample>> {
  const stats = emptyStats(sourceName(file));
  const records = await readRecords(file, (v, src) => parsePreferenceRecord(v, src, options.format), options, stats);
  return tokenizePreferenceRecords(records, tokenizer, options, stats);
}

/** Reads, validates and tokenizes an SFT (prompt/completion) JSONL file. */
export async function loadSftDataset(file: string, tokenizer: Tokenizer, options: LoadOptions): Promise<Dataset<SftExample>> {
  const stats = emptyStats(sourceName(file));
  const records = await readRecords(file, (v, src) => parseSftRecord(v, src, options.format), options, stats);
  return tokenizeSftRecords(records, tokenizer, options, stats);
}

/** One line describing a load, e.g. for the trainer's log. */
export function formatLoadStats(stats: LoadStats): string {
  const parts = [`${stats.file}: ${stats.kept} of ${stats.records} records kept`];
  if (stats.skippedInvalid) parts.push(`${stats.skippedInvalid} invalid skipped`);
  if (stats.droppedPromptTooLong) parts.push(`${stats.droppedPromptTooLong} dropped (prompt fills maxLength)`);
  if (stats.droppedEmptyCompletion) parts.push(`${stats.droppedEmptyCompletion} dropped (empty completion)`);
  if (stats.truncated) parts.push(`${stats.truncated} truncated`);
  if (stats.promptMismatch) parts.push(`${stats.promptMismatch} with prompt/completion token merges`);
  return parts.join(', ');
}
