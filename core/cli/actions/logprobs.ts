/**
 * What `prefopt logprobs` runs (options parsed by commands/logprobs.ts). Records are read, scored
 * and written `--batch-size` at a time. Records with ids need no tokenizer: tokenizer.json is read
 * only when a record carries text.
 */
import * as tf from '@tensorflow/tfjs';
import { collateSequences } from '../../data/collate.ts';
import { inBatches } from '../../data/iterate.ts';
import { asObject, jsonlChunks, sourceName, type JsonlRecord } from '../../data/jsonl.ts';
import { tokenizePromptCompletion, type TokenizedSequence } from '../../data/tokenize.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import { lineError } from '../../errors.ts';
import { loadTokenizer, type LoadedModel } from '../../model/checkpoint.ts';
import { loadWeightsOrAdapter } from '../../model/peft.ts';
import type { CausalLM } from '../../model/llama.ts';
import { sequenceLogprobs } from '../../model/logprobs.ts';
import { describeBackend, selectBackend } from '../../runtime/backend.ts';
import { withOutput } from '../output.ts';

export interface LogprobsCliOptions {
  model: string;
  reference?: string;
  input: string;
  /** Output file (written atomically); stdout when absent. */
  out?: string;
  backend?: string;
  batchSize: number;
}

type Fields = Record<string, unknown>;

interface PairRecord {
  line: number;
  chosen: TokenizedSequence;
  rejected: TokenizedSequence;
}

/** Reads `prompt_ids` + `<side>_ids` as given, checking every id is in the vocabulary. */
function sequenceFromIds(fields: Fields, side: string, vocab: number, fail: (m: string) => never): TokenizedSequence {
  const ids = (field: string, minLength: number): number[] => {
    const value = fields[field];
    if (!Array.isArray(value) || value.length < minLength || !value.every((v) => Number.isInteger(v) && v >= 0 && v < vocab)) {
      fail(`field '${field}' must be an array of at least ${minLength} token ids in [0, ${vocab})`);
    }
    return value as number[];
  };
  const prompt = ids('prompt_ids', 1);
  return { ids: [...prompt, ...ids(`${side}_ids`, 1)], promptLength: prompt.length };
}

/** Tokenizes `prompt` + `<side>` text. */
function sequenceFromText(fields: Fields, side: string, tokenizer: Tokenizer, maxLength: number, fail: (m: string) => never): TokenizedSequence {
  for (const field of ['prompt', side]) if (typeof fields[field] !== 'string') fail(`field '${field}' must be a string`);
  const result = tokenizePromptCompletion(tokenizer, fields.prompt as string, fields[side] as string, { maxLength });
  if (!result.ok) fail(`field '${side}': ${result.reason === 'prompt-too-long' ? `the prompt does not fit in ${maxLength} tokens` : 'no completion token to score'}`);
  if (result.ok && result.truncated) fail(`field '${side}': prompt + completion exceed the model's ${maxLength} positions`);
  return (result as { sequence: TokenizedSequence }).sequence;
}

/** Reads and tokenizes one record; a bad record is a `FILE:LINE: field ...` error. */
async function readLogprobRecord(
  record: JsonlRecord,
  file: string,
  tokenizer: () => Promise<Tokenizer>,
  vocab: number,
  maxLength: number,
): Promise<PairRecord> {
  const fields = asObject(record, file);
  const fail = (message: string): never => {
    throw lineError(file, record.line, message);
  };
  const useIds = 'prompt_ids' in fields || 'chosen_ids' in fields || 'rejected_ids' in fields;
  const text = useIds ? undefined : await tokenizer();
  const make = (side: string) => (text ? sequenceFromText(fields, side, text, maxLength, fail) : sequenceFromIds(fields, side, vocab, fail));
  const chosen = make('chosen');
  const rejected = make('rejected');
  for (const [side, seq] of [['chosen', chosen], ['rejected', rejected]] as const) {
    if (seq.ids.length > maxLength) fail(`field '${side}${useIds ? '_ids' : ''}': ${seq.ids.length} tokens exceed the model's ${maxLength} positions`);
  }
  return { line: record.line, chosen, rejected };
}

/** Summed log-probs and completion lengths of sequences, in batches of `batchSize` rows. */
export function scoreSequences(model: CausalLM, sequences: TokenizedSequence[], padTokenId: number, batchSize: number): Array<{ logps: number; length: number }> {
  const out: Array<{ logps: number; length: number }> = [];
  for (const rows of inBatches(sequences, batchSize)) {
    const batch = collateSequences(rows, { padTokenId });
    const [sums, counts] = tf.tidy(() => {
      const { sums, counts } = sequenceLogprobs(model, batch);
      return [sums.dataSync(), counts.dataSync()];
    });
    for (let i = 0; i < batch.rows; i++) out.push({ logps: sums[i]!, length: counts[i]! });
  }
  return out;
}

/** The pad id for collation when no tokenizer was read (padding is masked out: any valid id does). */
function padTokenId(config: LoadedModel['config']): number {
  const first = (v: unknown) => (Array.isArray(v) ? v[0] : v) as number | undefined;
  return first(config.pad_token_id) ?? first(config.eos_token_id) ?? 0;
}

export async function runLogprobs(options: LogprobsCliOptions): Promise<void> {
  await selectBackend(options.backend);
  process.stderr.write(`${describeBackend()}\n`);
  const { model, config } = await loadWeightsOrAdapter(options.model);
  let reference: Omit<LoadedModel, 'tokenizer'> | undefined;
  try {
    if (options.reference) reference = await loadWeightsOrAdapter(options.reference);
    const vocab = Math.min(config.vocab_size, reference?.config.vocab_size ?? Infinity);
    const maxLength = Math.min(config.max_position_embeddings, reference?.config.max_position_embeddings ?? Infinity);
    let tokenizer: Promise<Tokenizer> | undefined;
    const readTokenizer = () => (tokenizer ??= loadTokenizer(options.model, config));
    const file = sourceName(options.input);
    await withOutput(options.out, async (output) => {
      for await (const chunk of jsonlChunks(options.input, options.batchSize)) {
        const records: PairRecord[] = [];
        for (const record of chunk) records.push(await readLogprobRecord(record, file, readTokenizer, vocab, maxLength));
        const sequences = records.flatMap((r) => [r.chosen, r.rejected]);
        const pad = tokenizer ? (await tokenizer).padTokenId : padTokenId(config);
        const policy = scoreSequences(model, sequences, pad, options.batchSize);
        const ref = reference ? scoreSequences(reference.model, sequences, pad, options.batchSize) : undefined;
        const lines = records.map((_, i) =>
          JSON.stringify({
            policy_chosen_logps: policy[2 * i]!.logps,
            policy_rejected_logps: policy[2 * i + 1]!.logps,
            ...(ref ? { ref_chosen_logps: ref[2 * i]!.logps, ref_rejected_logps: ref[2 * i + 1]!.logps } : {}),
            chosen_length: policy[2 * i]!.length,
            rejected_length: policy[2 * i + 1]!.length,
          }),
        );
        await output.write(`${lines.join('\n')}\n`);
      }
    });
  } finally {
    model.dispose();
    reference?.model.dispose();
  }
}
