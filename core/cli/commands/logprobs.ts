/**
 * `prefopt logprobs --model DIR --input FILE [--backend NAME] [--batch-size N]`: per-record
 * summed completion log-probs of chosen and rejected under a model. Records carry text
 * (`prompt`, `chosen`, `rejected`: tokenized as TRL does, BOS + prompt, completion + EOS) or ids
 * (`prompt_ids`, `chosen_ids`, `rejected_ids`: used as given). Writes one JSONL line per record:
 * `chosen_logps`, `rejected_logps`, `chosen_length`, `rejected_length` (completion tokens scored).
 */
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { collateSequences } from '../../data/collate.ts';
import { asObject, readJsonl, sourceName } from '../../data/jsonl.ts';
import { tokenizePromptCompletion, type TokenizedSequence } from '../../data/tokenize.ts';
import { lineError, UserError } from '../../errors.ts';
import { loadModelDir } from '../../model/checkpoint.ts';
import type { CausalLM } from '../../model/llama.ts';
import { sequenceLogprobs } from '../../model/logprobs.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import { describeBackend, selectBackend } from '../../runtime/backend.ts';

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

/** Reads and tokenizes every record; any bad record is a `FILE:LINE: field ...` error. */
export async function readLogprobRecords(file: string, tokenizer: Tokenizer, vocab: number, maxLength: number): Promise<PairRecord[]> {
  const name = sourceName(file);
  const records: PairRecord[] = [];
  for (const record of await readJsonl(file)) {
    const fields = asObject(record, name);
    const fail = (message: string): never => {
      throw lineError(name, record.line, message);
    };
    const useIds = 'prompt_ids' in fields || 'chosen_ids' in fields || 'rejected_ids' in fields;
    const make = (side: string) => (useIds ? sequenceFromIds(fields, side, vocab, fail) : sequenceFromText(fields, side, tokenizer, maxLength, fail));
    const chosen = make('chosen');
    const rejected = make('rejected');
    for (const [side, seq] of [['chosen', chosen], ['rejected', rejected]] as const) {
      if (seq.ids.length > maxLength) fail(`field '${side}${useIds ? '_ids' : ''}': ${seq.ids.length} tokens exceed the model's ${maxLength} positions`);
    }
    records.push({ line: record.line, chosen, rejected });
  }
  return records;
}

/** Summed log-probs and completion lengths of sequences, in batches of `batchSize` rows. */
export function scoreSequences(model: CausalLM, sequences: TokenizedSequence[], padTokenId: number, batchSize: number): Array<{ logps: number; length: number }> {
  const out: Array<{ logps: number; length: number }> = [];
  for (let start = 0; start < sequences.length; start += batchSize) {
    const batch = collateSequences(sequences.slice(start, start + batchSize), { padTokenId });
    const [sums, counts] = tf.tidy(() => {
      const { sums, counts } = sequenceLogprobs(model, batch);
      return [sums.dataSync(), counts.dataSync()];
    });
    for (let i = 0; i < batch.rows; i++) out.push({ logps: sums[i]!, length: counts[i]! });
  }
  return out;
}

export function addLogprobsCommand(program: Command): void {
  program
    .command('logprobs')
    .description('summed completion log-probs of chosen/rejected records under a model (JSONL out)')
    .requiredOption('--model <dir>', 'model directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json)')
    .requiredOption('--input <file>', 'JSONL records: prompt/chosen/rejected text or prompt_ids/chosen_ids/rejected_ids')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .option('--batch-size <n>', 'sequences per forward pass', '16')
    .action(async (options: { model: string; input: string; backend?: string; batchSize: string }) => {
      const batchSize = Number(options.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError(`--batch-size must be an integer >= 1 (got '${options.batchSize}')`);
      await selectBackend(options.backend);
      process.stderr.write(`${describeBackend()}\n`);
      const { model, tokenizer, config } = await loadModelDir(options.model);
      try {
        const records = await readLogprobRecords(options.input, tokenizer, config.vocab_size, config.max_position_embeddings);
        const scores = scoreSequences(model, records.flatMap((r) => [r.chosen, r.rejected]), tokenizer.padTokenId, batchSize);
        const lines = records.map((_, i) => {
          const [c, r] = [scores[2 * i]!, scores[2 * i + 1]!];
          return JSON.stringify({ chosen_logps: c.logps, rejected_logps: r.logps, chosen_length: c.length, rejected_length: r.length });
        });
        if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        model.dispose();
      }
    });
}
