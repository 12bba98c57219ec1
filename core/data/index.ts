/** The data pipeline: JSONL datasets in TRL's formats, tokenization, batches, seeded shuffling. */
export type { TokenBatch, PreferenceBatch } from './batch.ts';
export { readJsonl, asObject, sourceName, type JsonlRecord } from './jsonl.ts';
export {
  parsePreferenceRecord, parseSftRecord,
  type DataFormat, type Message, type PreferenceRecord, type SftRecord, type RecordSource, type TextOrMessages,
} from './records.ts';
export { DEFAULT_CHAT_TEMPLATE, renderChat, renderPromptAndAnswer, type TemplateContext } from './chat.ts';
export { tokenizePromptCompletion, type TokenizedSequence, type TokenizeOptions, type TokenizeResult, type DropReason } from './tokenize.ts';
export { collateSequences, collatePreference, type CollateOptions, type TokenizedPair } from './collate.ts';
export {
  loadPreferenceDataset, loadSftDataset, readPreferenceRecords, readSftRecords, tokenizePreferenceRecords, tokenizeSftRecords,
  recordTexts, formatLoadStats,
  type LoadOptions, type LoadStats, type Dataset, type PreferenceExample, type SftExample,
} from './datasets.ts';
export { iterateBatches, epochOrder, batchesPerEpoch, type Batch, type BatchIteratorOptions } from './iterate.ts';
export { createRng, deriveSeed, shuffled, type Rng } from './random.ts';
