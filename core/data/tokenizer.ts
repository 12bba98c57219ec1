/**
 * The tokenizer contract shared by the model runtime, the data pipeline and generation.
 * Implementations: the Hugging Face `tokenizer.json` wrapper and the built-in character tokenizer.
 */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number;
  /** Token used to pad batches on the right (its positions are always masked out). */
  readonly padTokenId: number;
  readonly bosTokenId?: number;
  /** Jinja chat template (tokenizer_config.json's `chat_template`), when the model has one. */
  readonly chatTemplate?: string;
  /** Token ids of `text`, without special tokens added. */
  encode(text: string): number[];
  /** Text of `ids`; special tokens are dropped. */
  decode(ids: number[]): string;
}
