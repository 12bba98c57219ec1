/**
 * `prefopt generate --model DIR (--prompt TEXT | --input FILE) [--max-new-tokens N]
 *  [--temperature T] [--top-k K] [--seed S] [--batch-size N] [--backend NAME]`:
 * continues prompts with the model. One --prompt prints the completion text; --input reads JSONL
 * records with `prompt` (text) or `prompt_ids` and writes one JSONL line per record:
 * `completion`, `completion_ids`, `finish_reason` ('eos' or 'length').
 */
import type { Command } from 'commander';
import { asObject, readJsonl, sourceName } from '../../data/jsonl.ts';
import { lineError, UserError } from '../../errors.ts';
import { loadModelDir } from '../../model/checkpoint.ts';
import { generate } from '../../model/generate.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import { describeBackend, selectBackend } from '../../runtime/backend.ts';

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

function number(value: string, flag: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(value);
  if (!check(n)) throw new UserError(`${flag} must be ${expected} (got '${value}')`);
  return n;
}

export function addGenerateCommand(program: Command): void {
  program
    .command('generate')
    .description('continue prompts with a model: greedy or temperature/top-k sampling')
    .requiredOption('--model <dir>', 'model directory in Hugging Face layout')
    .option('--prompt <text>', 'one prompt; prints its completion')
    .option('--input <file>', 'JSONL records with prompt (text) or prompt_ids; writes JSONL')
    .option('--max-new-tokens <n>', 'most tokens generated per prompt', '64')
    .option('--temperature <t>', '0 = greedy', '0')
    .option('--top-k <k>', 'sample among the k most likely tokens (0 = all)', '0')
    .option('--seed <s>', 'sampling seed', '0')
    .option('--batch-size <n>', 'prompts generated together', '32')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .action(async (options: Record<string, string | undefined>) => {
      if ((options.prompt === undefined) === (options.input === undefined)) throw new UserError('give exactly one of --prompt TEXT or --input FILE');
      const settings = {
        maxNewTokens: number(options.maxNewTokens!, '--max-new-tokens', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'),
        temperature: number(options.temperature!, '--temperature', (n) => Number.isFinite(n) && n >= 0, 'a number >= 0'),
        topK: number(options.topK!, '--top-k', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0'),
        seed: number(options.seed!, '--seed', Number.isInteger, 'an integer'),
        batchSize: number(options.batchSize!, '--batch-size', (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1'),
      };
      await selectBackend(options.backend);
      process.stderr.write(`${describeBackend()}\n`);
      const { model, tokenizer, config } = await loadModelDir(options.model!);
      try {
        const prompts = options.prompt !== undefined ? [promptIds(tokenizer, options.prompt)] : await readPrompts(options.input!, tokenizer, config.vocab_size);
        const results = await generate(model, prompts, { ...settings, eosTokenId: tokenizer.eosTokenId });
        if (options.prompt !== undefined) {
          process.stdout.write(`${tokenizer.decode(results[0]!.ids)}\n`);
          return;
        }
        const lines = results.map((r) => JSON.stringify({ completion: tokenizer.decode(r.ids), completion_ids: r.ids, finish_reason: r.finishReason }));
        if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
      } finally {
        model.dispose();
      }
    });
}
