/**
 * A tiny test tokenizer: one token per UTF-16 code unit (ids 3..), pad 0, BOS 1, EOS 2.
 * `merge` makes "ab" one token (id 1000), to exercise prompt/completion merges across the boundary.
 * Encoding with special tokens puts BOS first (when it has one); it has no special-token texts.
 */
import type { EncodeOptions, Tokenizer } from '../../core/data/tokenizer.ts';

export function charTokenizer(options: { bos?: boolean; chatTemplate?: string; merge?: boolean } = {}): Tokenizer {
  const bos = options.bos ?? true;
  return {
    vocabSize: 1001,
    padTokenId: 0,
    eosTokenId: 2,
    ...(bos ? { bosTokenId: 1 } : {}),
    ...(options.chatTemplate ? { chatTemplate: options.chatTemplate } : {}),
    encode(text: string, encodeOptions: EncodeOptions = {}): number[] {
      const ids: number[] = encodeOptions.addSpecialTokens && bos ? [1] : [];
      for (let i = 0; i < text.length; i++) {
        if (options.merge && text.startsWith('ab', i)) {
          ids.push(1000);
          i += 1;
        } else ids.push(text.charCodeAt(i) + 3);
      }
      return ids;
    },
    decode(ids: number[]): string {
      return ids.filter((id) => id > 2).map((id) => (id === 1000 ? 'ab' : String.fromCharCode(id - 3))).join('');
    },
  };
}
