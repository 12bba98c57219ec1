/**
 * The built-in character tokenizer for the synthetic math tasks: one token per character (digits,
 * letters, ASCII punctuation, space, newline) plus the specials <pad>, <bos>, <eos>, <unk>; encoding
 * with special tokens puts <bos> first.
 * It is a genuine Hugging Face tokenizer.json (a BPE model with no merges and a Fuse decoder),
 * so models saved with it load in transformers / tokenizers as well as here.
 */
import { HfTokenizer } from './hf-tokenizer.ts';

export const CHAR_SPECIAL_TOKENS = ['<pad>', '<bos>', '<eos>', '<unk>'] as const;

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)); // ' ' .. '~'
export const CHAR_ALPHABET = ['\n', ...PRINTABLE];

/** tokenizer.json and tokenizer_config.json contents of the character tokenizer. */
export function charTokenizerFiles(): { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> } {
  const vocab: Record<string, number> = {};
  CHAR_SPECIAL_TOKENS.forEach((token, id) => (vocab[token] = id));
  CHAR_ALPHABET.forEach((char, i) => (vocab[char] = CHAR_SPECIAL_TOKENS.length + i));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: CHAR_SPECIAL_TOKENS.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: null,
    // <bos> before every text encoded with special tokens, as a Llama tokenizer does (so TRL and
    // prefopt put it in the same place).
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<bos>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<bos>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<bos>': { id: '<bos>', ids: [1], tokens: ['<bos>'] } },
    },
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [],
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>',
    model_max_length: 2048,
    clean_up_tokenization_spaces: false, // else decode turns ' ,' into ','
  };
  return { tokenizerJson, tokenizerConfig };
}

/** A new character tokenizer (vocabulary size 100). */
export function createCharTokenizer(): HfTokenizer {
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  return new HfTokenizer(tokenizerJson, tokenizerConfig);
}
