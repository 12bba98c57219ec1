/** Tokenizers: the built-in character tokenizer (a genuine HF tokenizer.json) and the HF wrapper. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Tokenizer as HfImpl } from '@huggingface/tokenizers';
import { CHAR_ALPHABET, charTokenizerFiles, createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { HfTokenizer } from '../../core/model/hf-tokenizer.ts';
import { UserError } from '../../core/errors.ts';

test('property: the character tokenizer round-trips any text over its alphabet, one token per character', () => {
  const tokenizer = createCharTokenizer();
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...CHAR_ALPHABET), { maxLength: 60 }).map((cs) => cs.join('')), (text) => {
      const ids = tokenizer.encode(text);
      assert.equal(ids.length, [...text].length);
      assert.equal(tokenizer.decode(ids), text);
    }),
    { numRuns: 300 },
  );
});

test('the character tokenizer has pad/bos/eos/unk specials and drops specials when decoding', () => {
  const tokenizer = createCharTokenizer();
  assert.equal(tokenizer.vocabSize, 100);
  assert.deepEqual([tokenizer.padTokenId, tokenizer.bosTokenId, tokenizer.eosTokenId], [0, 1, 2]);
  assert.equal(tokenizer.decode([1, ...tokenizer.encode('7*8=56'), 2, 0]), '7*8=56');
  assert.equal(tokenizer.decode(tokenizer.encode("x , y ? don 't")), "x , y ? don 't", 'no clean-up of spaces before punctuation');
  assert.deepEqual(tokenizer.encode('é'), [3], 'characters outside the alphabet become <unk>');
  assert.deepEqual(tokenizer.encode('1\n2'), [4 + CHAR_ALPHABET.indexOf('1'), 4, 4 + CHAR_ALPHABET.indexOf('2')]);
});

test('the character tokenizer files load in @huggingface/tokenizers directly', () => {
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  const impl = new HfImpl(tokenizerJson, tokenizerConfig);
  assert.deepEqual(impl.encode('12 + 30').tokens, ['<bos>', '1', '2', ' ', '+', ' ', '3', '0'], 'its post-processor puts <bos> first, as transformers would');
  assert.deepEqual(impl.encode('12', { add_special_tokens: false }).tokens, ['1', '2']);
  assert.equal(impl.token_to_id('<eos>'), 2);
});

test('special tokens come from tokenizer_config.json, else from config.json ids; no EOS is a UserError', () => {
  const { tokenizerJson } = charTokenizerFiles();
  const fromConfig = new HfTokenizer(tokenizerJson, { eos_token: { content: '<eos>' } });
  assert.equal(fromConfig.eosTokenId, 2);
  assert.equal(fromConfig.padTokenId, 2, 'pad falls back to EOS');
  const fromIds = new HfTokenizer(tokenizerJson, {}, { eos: 2, bos: 1, pad: 0 });
  assert.deepEqual([fromIds.eosTokenId, fromIds.bosTokenId, fromIds.padTokenId], [2, 1, 0]);
  const withTemplate = new HfTokenizer(tokenizerJson, { eos_token: '<eos>', chat_template: '{{ messages }}' });
  assert.equal(withTemplate.chatTemplate, '{{ messages }}');
  assert.throws(() => new HfTokenizer(tokenizerJson, {}), (e: unknown) => e instanceof UserError && /no EOS token/.test(e.message));
});

test('special-token texts for templates; encode adds the post-processor specials only when asked', () => {
  const tokenizer = createCharTokenizer();
  assert.deepEqual(tokenizer.specialTokens, { bos_token: '<bos>', eos_token: '<eos>', unk_token: '<unk>', pad_token: '<pad>' });
  assert.deepEqual(tokenizer.encode('1', { addSpecialTokens: true }), [1, 4 + CHAR_ALPHABET.indexOf('1')]);
  assert.deepEqual(tokenizer.encode('1'), [4 + CHAR_ALPHABET.indexOf('1')]);
});

test("chat templates load as transformers reads them: named list, chat_template.jinja over the config's, additional_chat_templates/; saved back", async () => {
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  const named = new HfTokenizer(tokenizerJson, { ...tokenizerConfig, chat_template: [{ name: 'default', template: 'D' }, { name: 'tool_use', template: 'T' }] });
  assert.equal(named.chatTemplate, 'D');
  assert.deepEqual(named.chatTemplates, { default: 'D', tool_use: 'T' });
  assert.throws(() => new HfTokenizer(tokenizerJson, { ...tokenizerConfig, chat_template: [{ name: 'x' }] }, {}, 'dir/tokenizer.json'), /dir\/tokenizer\.json: tokenizer_config\.json's chat_template must be a string or a list of \{name, template\}/);

  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-tok-'));
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...tokenizerConfig, chat_template: 'from config' }));
  await writeFile(path.join(dir, 'chat_template.jinja'), 'from jinja file');
  await mkdir(path.join(dir, 'additional_chat_templates'));
  await writeFile(path.join(dir, 'additional_chat_templates', 'tool_use.jinja'), 'tools {{ tools }}');
  const loaded = await HfTokenizer.fromDir(dir);
  assert.equal(loaded.chatTemplate, 'from jinja file');
  assert.deepEqual(loaded.chatTemplates, { default: 'from jinja file', tool_use: 'tools {{ tools }}' });
  const files = loaded.files();
  assert.equal(files['chat_template.jinja'], 'from jinja file');
  assert.equal(files['additional_chat_templates/tool_use.jinja'], 'tools {{ tools }}');
});
