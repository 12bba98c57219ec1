/**
 * The tokenizer contract shared by the model runtime, the data pipeline and generation.
 * Implementations: the Hugging Face `tokenizer.json` wrapper and the built-in character tokenizer.
 */
export interface EncodeOptions {
  /**
   * Add the special tokens the tokenizer's post-processor adds (e.g. Llama's BOS), as a
   * transformers tokenizer does when called on text. Default false.
   */
  addSpecialTokens?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number;
  /** Token used to pad batches on the right (its positions are always masked out). */
  readonly padTokenId: number;
  readonly bosTokenId?: number;
  /** The default Jinja chat template (`chat_template.jinja`, or tokenizer_config.json's `chat_template`). */
  readonly chatTemplate?: string;
  /** Named chat templates (tokenizer_config.json's list form, `additional_chat_templates/`), `default` included. */
  readonly chatTemplates?: Readonly<Record<string, string>>;
  /**
   * The special tokens' texts by attribute (`bos_token`, `eos_token`, `unk_token`, `sep_token`,
   * `pad_token`, `cls_token`, `mask_token`), those the tokenizer config sets: the variables
   * transformers' apply_chat_template gives a template.
   */
  readonly specialTokens?: Readonly<Record<string, string>>;
  /** Token ids of `text`; special tokens are added only with `addSpecialTokens`. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Text of `ids`; special tokens are dropped. */
  decode(ids: number[]): string;
}
