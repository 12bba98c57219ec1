/**
 * The `Tokenizer` over a Hugging Face `tokenizer.json` (+ `tokenizer_config.json` when present),
 * through `@huggingface/tokenizers`. The raw JSON of both files is kept so a model directory can
 * be saved back unchanged.
 */
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.ts';
import type { Tokenizer } from '../data/tokenizer.ts';

/** Special-token fields of tokenizer_config.json are a string or `{content: string}`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

export interface SpecialTokenIds {
  eos?: number;
  bos?: number;
  pad?: number;
}

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId?: number;
  readonly chatTemplate?: string;
  private readonly impl: HfTokenizerImpl;

  /**
   * @param tokenizerJson parsed tokenizer.json
   * @param tokenizerConfig parsed tokenizer_config.json ({} when absent)
   * @param fallback special-token ids from config.json, used when tokenizer_config.json names none
   */
  constructor(
    readonly tokenizerJson: Record<string, unknown>,
    readonly tokenizerConfig: Record<string, unknown> = {},
    fallback: SpecialTokenIds = {},
    source = 'tokenizer.json',
  ) {
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new UserError(`${source}: cannot build the tokenizer: ${(error as Error).message}`);
    }
    const idOf = (field: string): number | undefined => {
      const text = tokenText(tokenizerConfig[field]);
      return text === undefined ? undefined : this.impl.token_to_id(text);
    };
    this.vocabSize = Math.max(...this.impl.get_vocab(true).values()) + 1;
    const eos = idOf('eos_token') ?? fallback.eos;
    if (eos === undefined) throw new UserError(`${source}: no EOS token (set eos_token in tokenizer_config.json or eos_token_id in config.json)`);
    this.eosTokenId = eos;
    this.padTokenId = idOf('pad_token') ?? fallback.pad ?? eos;
    const bos = idOf('bos_token') ?? fallback.bos;
    if (bos !== undefined) this.bosTokenId = bos;
    if (typeof tokenizerConfig.chat_template === 'string') this.chatTemplate = tokenizerConfig.chat_template;
  }

  /** Loads tokenizer.json (and tokenizer_config.json when present) from a model directory. */
  static async fromDir(dir: string, fallback: SpecialTokenIds = {}): Promise<HfTokenizer> {
    const file = path.join(dir, 'tokenizer.json');
    const json = await readJsonFile(file);
    const configFile = path.join(dir, 'tokenizer_config.json');
    const config = await readJsonFile(configFile, true);
    return new HfTokenizer(json, config ?? {}, fallback, file);
  }

  encode(text: string): number[] {
    return this.impl.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: number[]): string {
    if (ids.length === 0) return ''; // the library rejects an empty id list
    return this.impl.decode(ids, { skip_special_tokens: true });
  }

  /** The token string of an id (undefined when out of the vocabulary). */
  idToToken(id: number): string | undefined {
    return this.impl.id_to_token(id);
  }

  /** The files that reproduce this tokenizer in a model directory. */
  files(): Record<string, string> {
    const out: Record<string, string> = { 'tokenizer.json': `${JSON.stringify(this.tokenizerJson)}\n` };
    if (Object.keys(this.tokenizerConfig).length > 0) out['tokenizer_config.json'] = `${JSON.stringify(this.tokenizerConfig, null, 2)}\n`;
    return out;
  }
}

/** Reads a JSON object file; with `optional`, a missing file gives undefined. */
export async function readJsonFile(file: string, optional: true): Promise<Record<string, unknown> | undefined>;
export async function readJsonFile(file: string, optional?: false): Promise<Record<string, unknown>>;
export async function readJsonFile(file: string, optional = false): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    throw new UserError(`${file}: cannot read: ${code ?? (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file}: invalid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UserError(`${file}: expected a JSON object`);
  return value as Record<string, unknown>;
}
