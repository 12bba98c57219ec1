/** What `prefopt generate` runs (options parsed by commands/generate.ts). */
import { asObject, readJsonl, sourceName } from '../../data/jsonl.ts';
import { lineError, UserError } from '../../errors.ts';
import { loadModelOrAdapter } from '../../model/peft.ts';
import { generate } from '../../model/generate.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import { describeBackend, selectBackend } from '../../runtime/backend.ts';

export interface GenerateCliOptions {
  model: string;
  prompt?: string;
  input?: string;
  maxNewTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  batchSize: number;
  backend?: string;
}

/** The prompt's tokens with the tokenizer's special tokens (its BOS, if it adds one), as training encodes standard prompts. */
export function promptIds(tokenizer: Tokenizer, text: string): number[] {
  return tokenizer.encode(text, { addSpecialTokens: true });
}

async function readPrompts(file: string, tokenizer: Tokenizer, vocab: number): Promise<number[][]> {
  const name = sourceName(file);
  return (await readJsonl(file)).map((record) => {
    const fields = asObject(record, name);
    if (Array.isArray(fields.prompt_ids)) {
      const ids = fields.prompt_ids;
      if (ids.length === 0 || !ids.every((v) => Number.isInteger(v) && v >= 0 && v < vocab)) {
        throw lineError(name, record.line, `field 'prompt_ids' must be a non-empty array of token ids in [0, ${vocab})`);
      }
      return ids as number[];
    }
    if (typeof fields.prompt !== 'string') throw lineError(name, record.line, "field 'prompt' must be a string (or give 'prompt_ids')");
    return promptIds(tokenizer, fields.prompt);
  });
}

export async function runGenerate(options: GenerateCliOptions): Promise<void> {
  if ((options.prompt === undefined) === (options.input === undefined)) throw new UserError('give exactly one of --prompt TEXT or --input FILE');
  const { maxNewTokens, temperature, topK, seed, batchSize } = options;
  await selectBackend(options.backend);
  process.stderr.write(`${describeBackend()}\n`);
  const { model, tokenizer, config } = await loadModelOrAdapter(options.model);
  try {
    const prompts = options.prompt !== undefined ? [promptIds(tokenizer, options.prompt)] : await readPrompts(options.input!, tokenizer, config.vocab_size);
    const results = await generate(model, prompts, { maxNewTokens, temperature, topK, seed, batchSize, eosTokenId: tokenizer.eosTokenId });
    if (options.prompt !== undefined) {
      process.stdout.write(`${tokenizer.decode(results[0]!.ids)}\n`);
      return;
    }
    const lines = results.map((r) => JSON.stringify({ completion: tokenizer.decode(r.ids), completion_ids: r.ids, finish_reason: r.finishReason }));
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    model.dispose();
  }
}
