/**
 * Loading JSONL datasets into tokenized examples: preference pairs and SFT prompt/completions,
 * standard or conversational (rendered with the tokenizer's chat template), tokenized exactly as
 * TRL does (core/data/tokenize.ts). Files are read as a stream, one line at a time: only the
 * tokenized examples stay, their ids packed in a TokenStore (spilled to a temporary file past
 * `memoryTokens`). Bad records stop the load with `FILE:LINE: field ...`, or with
 * `skipInvalid` are skipped and counted.
 */
import { UserError } from '../errors.ts';
import { checkTemplateUses, renderChat, selectChatTemplate, type TemplateContext } from './chat.ts';
import type { TokenizedPair } from './collate.ts';
import { sourceName, streamJsonlLines } from './jsonl.ts';
import {
  parsePreferenceRecord,
  parseSftRecord,
  type DataFormat,
  type Message,
  type PreferenceRecord,
  type RecordSource,
  type SftRecord,
  type TemplateInputs,
  type TextOrMessages,
} from './records.ts';
import {
  splitPromptCompletion, tokenizeConversation, tokenizeTexts,
  type DropReason, type PromptAndAnswerIds, type PromptAndFullIds, type TokenizedSequence,
} from './tokenize.ts';
import { TokenStore } from './token-store.ts';
import type { Tokenizer } from './tokenizer.ts';

export interface LoadOptions {
  /** Longest sequence kept, in tokens. */
  maxLength: number;
  /** Record format expected (default 'auto': decided per record from `prompt`). */
  format?: DataFormat;
  /** Skip (and count) invalid records instead of failing on the first. Default false. */
  skipInvalid?: boolean;
  /** Chat template for conversational records: a name among the tokenizer's templates, or Jinja text; default transformers' choice, else ChatML. */
  chatTemplate?: string;
  /** Extra template variables for every record (a record's own `chat_template_kwargs` win), e.g. `{ enable_thinking: false }`. */
  chatTemplateKwargs?: TemplateContext;
  /** Token ids kept in memory before the rest spill to a temporary file (default DEFAULT_MEMORY_TOKENS, 256 MiB). */
  memoryTokens?: number;
}

/** The LoadOptions of a config's `data` section (core/config: data.maxLength, format, skipInvalid, chatTemplate, chatTemplateKwargs). */
export function loadOptionsFrom(data: { maxLength: number; format?: DataFormat; skipInvalid?: boolean; chatTemplate?: string; chatTemplateKwargs?: TemplateContext }): LoadOptions {
  const { maxLength, format, skipInvalid, chatTemplate, chatTemplateKwargs } = data;
  return { maxLength, format, skipInvalid, chatTemplate, chatTemplateKwargs };
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

/** A record skipped by skipInvalid: counted, and its message kept among the first few. */
function skip(error: unknown, options: LoadOptions, stats: LoadStats): void {
  if (!(options.skipInvalid && error instanceof UserError)) throw error;
  stats.skippedInvalid += 1;
  if (stats.invalidExamples.length < MAX_INVALID_EXAMPLES) stats.invalidExamples.push(error.message);
}

/** Streams a file's records through `parse` and `tokenize`; only the examples are kept. */
async function loadFile<R, E>(
  file: string,
  parse: (value: unknown, src: RecordSource) => R,
  tokenize: (record: R, stats: LoadStats) => E | undefined,
  options: LoadOptions,
): Promise<Dataset<E>> {
  const stats = emptyStats(sourceName(file));
  const examples: E[] = [];
  // In file order: the first error reported (or skipped) is the first bad line, JSON or record.
  for await (const record of streamJsonlLines(file)) {
    stats.records += 1;
    let example: E | undefined;
    try {
      if ('error' in record) throw record.error;
      example = tokenize(parse(record.value, { file: stats.file, line: record.line }), stats);
    } catch (error) {
      skip(error, options, stats);
      continue;
    }
    if (example !== undefined) examples.push(example);
  }
  stats.kept = examples.length;
  return { examples, stats };
}

/** Reads and validates every record of a file (no tokenization); invalid ones throw, or are skipped with skipInvalid. */
async function readRecords<R>(file: string, parse: (value: unknown, src: RecordSource) => R, options: Pick<LoadOptions, 'skipInvalid'>): Promise<R[]> {
  const opts = { maxLength: 0, ...options };
  return (await loadFile(file, parse, (record) => record, opts)).examples;
}

/** The special tokens a template sees under TRL, whose trainers set a missing pad_token to eos_token. */
function templateSpecialTokens(tokenizer: Tokenizer): Readonly<Record<string, string>> | undefined {
  const special = tokenizer.specialTokens;
  if (!special || special.pad_token !== undefined || special.eos_token === undefined) return special;
  return { ...special, pad_token: special.eos_token };
}

/**
 * Token ids of a record's prompt alone and prompt + each answer, as TRL computes them. A
 * language-modeling record (TRL's text/messages) has no prompt: every token is trained on.
 */
function recordIds(
  tokenizer: Tokenizer,
  record: { format: 'standard' | 'conversational'; prompt: TextOrMessages; source: RecordSource; languageModeling?: boolean } & TemplateInputs,
  answers: Record<string, TextOrMessages>,
  options: LoadOptions,
): PromptAndFullIds[] {
  const split = ({ promptIds, fullIds }: PromptAndAnswerIds) => fullIds.map((ids) => ({ promptIds: record.languageModeling ? [] : promptIds, fullIds: ids }));
  if (record.format === 'standard') return split(tokenizeTexts(tokenizer, record.prompt as string, Object.values(answers) as string[]));
  const prompt = record.prompt as Message[];
  const template = selectChatTemplate(tokenizer, { template: options.chatTemplate, tools: record.tools !== undefined });
  checkTemplateUses(template, { prompt, ...(answers as Record<string, Message[]>) }, record.tools, record.source);
  const renderOptions = {
    tools: record.tools ?? null,
    specialTokens: templateSpecialTokens(tokenizer),
    kwargs: { ...options.chatTemplateKwargs, ...record.chatTemplateKwargs },
    source: record.source,
  };
  if (record.languageModeling) {
    return (Object.values(answers) as Message[][]).map((messages) => ({
      promptIds: [],
      fullIds: tokenizer.encode(renderChat(template, messages, { ...renderOptions, addGenerationPrompt: false })),
    }));
  }
  return split(tokenizeConversation(tokenizer, template, prompt, Object.values(answers) as Message[][], renderOptions));
}

/** Splits and truncates one side (kept in `store`); counts a prompt/completion token mismatch. */
function sequenceOf(ids: PromptAndFullIds, options: LoadOptions, stats: LoadStats, store: TokenStore): { sequence: TokenizedSequence; truncated: boolean } | DropReason {
  const result = splitPromptCompletion(ids, options);
  if (!result.ok) return result.reason;
  if (result.mismatch) stats.promptMismatch += 1;
  return { sequence: store.sequence(result.sequence.ids, result.sequence.promptLength), truncated: result.truncated };
}

function countDrop(reason: DropReason, stats: LoadStats): void {
  if (reason === 'prompt-too-long') stats.droppedPromptTooLong += 1;
  else stats.droppedEmptyCompletion += 1;
}

/** One preference record as a tokenized pair; undefined (counted) when either side is dropped. */
export function tokenizePreferenceRecord(record: PreferenceRecord, tokenizer: Tokenizer, options: LoadOptions, stats: LoadStats, store: TokenStore): PreferenceExample | undefined {
  const [chosenIds, rejectedIds] = recordIds(tokenizer, record, { chosen: record.chosen, rejected: record.rejected }, options) as [PromptAndFullIds, PromptAndFullIds];
  const chosen = sequenceOf(chosenIds, options, stats, store);
  const rejected = typeof chosen === 'string' ? chosen : sequenceOf(rejectedIds, options, stats, store);
  if (typeof chosen === 'string' || typeof rejected === 'string') {
    countDrop(typeof chosen === 'string' ? chosen : (rejected as DropReason), stats);
    return undefined;
  }
  if (chosen.truncated || rejected.truncated) stats.truncated += 1;
  return { chosen: chosen.sequence, rejected: rejected.sequence, source: record.source };
}

/** One SFT record as a tokenized sequence; undefined (counted) when dropped. */
export function tokenizeSftRecord(record: SftRecord, tokenizer: Tokenizer, options: LoadOptions, stats: LoadStats, store: TokenStore): SftExample | undefined {
  const result = sequenceOf(recordIds(tokenizer, record, { completion: record.completion }, options)[0]!, options, stats, store);
  if (typeof result === 'string') {
    countDrop(result, stats);
    return undefined;
  }
  if (result.truncated) stats.truncated += 1;
  return { sequence: result.sequence, source: record.source };
}

/** Preference records of a file, validated (no tokenization): for generation and inspection. */
export async function readPreferenceRecords(file: string, options: Pick<LoadOptions, 'format' | 'skipInvalid'> = {}): Promise<PreferenceRecord[]> {
  return readRecords(file, (v, src) => parsePreferenceRecord(v, src, options.format), options);
}

/** SFT records of a file, validated (no tokenization). */
export async function readSftRecords(file: string, options: Pick<LoadOptions, 'format' | 'skipInvalid'> = {}): Promise<SftRecord[]> {
  return readRecords(file, (v, src) => parseSftRecord(v, src, options.format), options);
}

/** Tokenizes preference records held in memory; pairs where either side is dropped are counted once. */
export function tokenizePreferenceRecords(
  records: readonly PreferenceRecord[],
  tokenizer: Tokenizer,
  options: LoadOptions,
  stats: LoadStats = emptyStats('<records>'),
): Dataset<PreferenceExample> {
  const store = new TokenStore(options.memoryTokens);
  const examples = records.flatMap((record) => tokenizePreferenceRecord(record, tokenizer, options, stats, store) ?? []);
  stats.kept = examples.length;
  return { examples, stats };
}

/** Tokenizes SFT records held in memory. */
export function tokenizeSftRecords(records: readonly SftRecord[], tokenizer: Tokenizer, options: LoadOptions, stats: LoadStats = emptyStats('<records>')): Dataset<SftExample> {
  const store = new TokenStore(options.memoryTokens);
  const examples = records.flatMap((record) => tokenizeSftRecord(record, tokenizer, options, stats, store) ?? []);
  stats.kept = examples.length;
  return { examples, stats };
}

/** Streams, validates and tokenizes a preference JSONL file. */
export async function loadPreferenceDataset(file: string, tokenizer: Tokenizer, options: LoadOptions): Promise<Dataset<PreferenceExample>> {
  const store = new TokenStore(options.memoryTokens);
  return loadFile(file, (v, src) => parsePreferenceRecord(v, src, options.format), (r, stats) => tokenizePreferenceRecord(r, tokenizer, options, stats, store), options);
}

/** Streams, validates and tokenizes an SFT (prompt/completion) JSONL file. */
export async function loadSftDataset(file: string, tokenizer: Tokenizer, options: LoadOptions): Promise<Dataset<SftExample>> {
  const store = new TokenStore(options.memoryTokens);
  return loadFile(file, (v, src) => parseSftRecord(v, src, options.format), (r, stats) => tokenizeSftRecord(r, tokenizer, options, stats, store), options);
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
