/**
 * The `Tokenizer` over a Hugging Face `tokenizer.json` (+ `tokenizer_config.json` when present),
 * through `@huggingface/tokenizers`. The raw JSON of both files is kept so a model directory can
 * be saved back unchanged.
 */
import { Tokenizer as HfTokenizerImpl } from '@huggingface/tokenizers';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.ts';
import type { EncodeOptions, Tokenizer } from '../data/tokenizer.ts';

/** Special-token fields of tokenizer_config.json are a string or `{content: string}`. */
function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

/** The special-token attributes transformers(.js) passes to chat templates, in its order. */
const SPECIAL_TOKEN_ATTRIBUTES = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/**
 * Chat templates of a tokenizer directory as transformers reads them: tokenizer_config.json's
 * `chat_template` (a string, or a list of `{name, template}`), overridden by `chat_template.jinja`,
 * plus `additional_chat_templates/NAME.jinja` as named templates.
 */
export interface ChatTemplateFiles {
  /** `chat_template.jinja`'s text. */
  jinja?: string;
  /** `additional_chat_templates/NAME.jinja` texts by NAME. */
  additional?: Record<string, string>;
}

export interface SpecialTokenIds {
  eos?: number;
  bos?: number;
  pad?: number;
}

/** The largest token id accepted (the run config's largest vocab_size); larger ones are damage. */
export const MAX_TOKEN_ID = 4_194_303;

/**
 * Token ids of tokenizer.json (model.vocab values, added_tokens ids) must be integers in
 * [0, MAX_TOKEN_ID]: the tokenizer library sizes tables by the largest id (an id of 1e9 stalls it)
 * and negative or fractional ids are meaningless.
 */
function checkTokenIds(json: Record<string, unknown>, source: string): void {
  const bad = (id: unknown) => typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID;
  const model = json.model as { vocab?: unknown } | undefined;
  if (model && typeof model.vocab === 'object' && model.vocab !== null && !Array.isArray(model.vocab)) {
    for (const [token, id] of Object.entries(model.vocab)) {
      if (bad(id)) throw new UserError(`${source}: model.vocab: token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids must be integers in [0, ${MAX_TOKEN_ID}]`);
    }
  }
  if (json.added_tokens !== undefined && json.added_tokens !== null) {
    if (!Array.isArray(json.added_tokens)) throw new UserError(`${source}: added_tokens must be a list`);
    for (const token of json.added_tokens as Array<{ id?: unknown; content?: unknown }>) {
      if (typeof token !== 'object' || token === null || bad(token.id) || typeof token.content !== 'string') {
        throw new UserError(`${source}: added_tokens: ${JSON.stringify(token)} needs an integer id in [0, ${MAX_TOKEN_ID}] and a string content`);
      }
    }
  }
}

export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly bosTokenId?: number;
  readonly chatTemplate?: string;
  readonly chatTemplates?: Readonly<Record<string, string>>;
  readonly specialTokens: Readonly<Record<string, string>>;
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
    readonly templateFiles: ChatTemplateFiles = {},
  ) {
    checkTokenIds(tokenizerJson, source);
    try {
      this.impl = new HfTokenizerImpl(tokenizerJson, tokenizerConfig);
    } catch (error) {
      throw new UserError(`${source}: cannot build the tokenizer: ${(error as Error).message}`);
    }
    const idOf = (field: string): number | undefined => {
      const text = tokenText(tokenizerConfig[field]);
      if (text === undefined) return undefined;
      const id = this.impl.token_to_id(text);
      // A special token that is not a token would be tokenized as plain text (e.g. EOS as characters).
      if (id === undefined) throw new UserError(`${source}: ${field} ${JSON.stringify(text)} (tokenizer_config.json) is not a token of the vocabulary`);
      return id;
    };
    // Added (special) tokens alone encode no text: a tokenizer needs a model vocabulary.
    if (this.impl.get_vocab(false).size === 0) throw new UserError(`${source}: the tokenizer's vocabulary is empty (only special tokens)`);
    const ids = [...this.impl.get_vocab(true).values()];
    let maxId = 0;
    for (const id of ids) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const eos = idOf('eos_token') ?? fallback.eos;
    if (eos === undefined) throw new UserError(`${source}: no EOS token (set eos_token in tokenizer_config.json or eos_token_id in config.json)`);
    this.eosTokenId = eos;
    this.padTokenId = idOf('pad_token') ?? fallback.pad ?? eos;
    const bos = idOf('bos_token') ?? fallback.bos;
    if (bos !== undefined) this.bosTokenId = bos;
    const special: Record<string, string> = {};
    for (const key of SPECIAL_TOKEN_ATTRIBUTES) {
      const text = tokenText(tokenizerConfig[key]);
      if (text) special[key] = text;
    }
    this.specialTokens = special;
    const named = namedTemplates(tokenizerConfig.chat_template, source);
    if (templateFiles.jinja !== undefined) named.default = templateFiles.jinja;
    Object.assign(named, templateFiles.additional);
    if (named.default !== undefined) this.chatTemplate = named.default;
    if (Object.keys(named).some((name) => name !== 'default')) this.chatTemplates = named;
  }

  /** Loads tokenizer.json (and tokenizer_config.json when present) from a model directory. */
  static async fromDir(dir: string, fallback: SpecialTokenIds = {}): Promise<HfTokenizer> {
    const file = path.join(dir, 'tokenizer.json');
    const json = await readJsonFile(file);
    const configFile = path.join(dir, 'tokenizer_config.json');
    const config = await readJsonFile(configFile, true);
    return new HfTokenizer(json, config ?? {}, fallback, file, await readTemplateFiles(dir));
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    return this.impl.encode(text, { add_special_tokens: options.addSpecialTokens ?? false }).ids;
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
    if (this.templateFiles.jinja !== undefined) out['chat_template.jinja'] = this.templateFiles.jinja;
    for (const [name, text] of Object.entries(this.templateFiles.additional ?? {})) out[`additional_chat_templates/${name}.jinja`] = text;
    return out;
  }
}

/** tokenizer_config.json's `chat_template` as named templates (a plain string is `default`). */
function namedTemplates(value: unknown, source: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value === 'string') return { default: value };
  const bad = () => new UserError(`${source}: tokenizer_config.json's chat_template must be a string or a list of {name, template} (got ${JSON.stringify(value).slice(0, 80)})`);
  if (!Array.isArray(value)) throw bad();
  const out: Record<string, string> = {};
  for (const item of value) {
    const { name, template } = (item ?? {}) as { name?: unknown; template?: unknown };
    if (typeof name !== 'string' || typeof template !== 'string') throw bad();
    out[name] = template;
  }
  return out;
}

/** chat_template.jinja and additional_chat_templates/*.jinja of a model directory, when present. */
async function readTemplateFiles(dir: string): Promise<ChatTemplateFiles> {
  const files: ChatTemplateFiles = {};
  const jinja = await readTextFile(path.join(dir, 'chat_template.jinja'));
  if (jinja !== undefined) files.jinja = jinja;
  let names: string[] = [];
  try {
    names = (await readdir(path.join(dir, 'additional_chat_templates'))).filter((n) => n.endsWith('.jinja')).sort();
  } catch {
    // no additional templates
  }
  if (names.length > 0) {
    files.additional = {};
    for (const name of names) files.additional[name.slice(0, -'.jinja'.length)] = (await readTextFile(path.join(dir, 'additional_chat_templates', name)))!;
  }
  return files;
}

async function readTextFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
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
