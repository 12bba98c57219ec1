/** The data pipeline: JSONL datasets in TRL's formats, tokenization, batches, seeded shuffling. */
export type { TokenBatch, PreferenceBatch } from './batch.ts';
export { readJsonl, streamJsonl, asObject, sourceName, type JsonlRecord } from './jsonl.ts';
export {
  parsePreferenceRecord, parseSftRecord, extractPrompt,
  type DataFormat, type Message, type PreferenceRecord, type SftRecord, type RecordSource, type TextOrMessages, type TemplateInputs,
} from './records.ts';
export { DEFAULT_CHAT_TEMPLATE, renderChat, selectChatTemplate, checkTemplateUses, type RenderOptions, type TemplateContext } from './chat.ts';
export type { Tokenizer, EncodeOptions } from './tokenizer.ts';
export {
  tokenizePromptCompletion, tokenizeTexts, tokenizeConversation, splitPromptCompletion,
  type TokenizedSequence, type TokenizeOptions, type TokenizeResult, type DropReason, type PromptAndFullIds, type PromptAndAnswerIds,
} from './tokenize.ts';
export { TokenStore, DEFAULT_MEMORY_TOKENS } from './token-store.ts';
export { collateSequences, collatePreference, type CollateOptions, type TokenizedPair } from './collate.ts';
export {
  loadPreferenceDataset, loadSftDataset, readPreferenceRecords, readSftRecords, tokenizePreferenceRecords, tokenizeSftRecords,
  tokenizePreferenceRecord, tokenizeSftRecord, loadOptionsFrom, formatLoadStats,
  type LoadOptions, type LoadStats, type Dataset, type PreferenceExample, type SftExample,
} from './datasets.ts';
export { iterateBatches, epochOrder, batchesPerEpoch, type Batch, type BatchIteratorOptions } from './iterate.ts';
export { createRng, deriveSeed, shuffled, type Rng } from './random.ts';
