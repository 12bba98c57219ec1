import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { tokenizePromptCompletion } from '../../core/data/tokenize.ts';
import { collatePreference, collateSequences } from '../../core/data/collate.ts';
import { charTokenizer } from './char-tokenizer.ts';

const tok = charTokenizer();
const ids = (s: string) => [...s].map((ch) => ch.charCodeAt(0) + 3);

test('prompt tokens, then the completion tokens, BOS first and EOS last', () => {
  const r = tokenizePromptCompletion(tok, 'Q:', 'ok', { maxLength: 64 });
  assert.ok(r.ok);
  assert.deepEqual(r.sequence.ids, [1, ...ids('Q:'), ...ids('ok'), 2]);
  assert.equal(r.sequence.promptLength, 3);
  assert.equal(r.mismatch, false);
  assert.equal(r.truncated, false);
});

test('no BOS when the tokenizer adds none', () => {
  const r = tokenizePromptCompletion(charTokenizer({ bos: false }), 'Q', 'a', { maxLength: 8 });
  assert.ok(r.ok);
  assert.deepEqual(r.sequence.ids, [...ids('Qa'), 2]);
});

test('truncation keeps the start; a prompt that fills maxLength drops the example', () => {
  const r = tokenizePromptCompletion(tok, 'abc', 'defgh', { maxLength: 6 });
  assert.ok(r.ok);
  assert.deepEqual(r.sequence.ids, [1, ...ids('abcde')]);
  assert.equal(r.truncated, true);
  assert.deepEqual(tokenizePromptCompletion(tok, 'abcde', 'x', { maxLength: 6 }), { ok: false, reason: 'prompt-too-long' });
  assert.deepEqual(tokenizePromptCompletion(tok, 'abcdef', 'x', { maxLength: 6 }), { ok: false, reason: 'prompt-too-long' });
});

test('a token merging across the prompt/completion boundary is reported, and the rest counts as completion', () => {
  const r = tokenizePromptCompletion(charTokenizer({ merge: true }), 'xa', 'by', { maxLength: 64 });
  assert.ok(r.ok);
  assert.equal(r.mismatch, true);
  assert.deepEqual(r.sequence.ids, [1, ...ids('x'), 1000, ...ids('y'), 2]);
  assert.equal(r.sequence.promptLength, 3);
});

test('property: kept sequences are at most maxLength, start with the prompt, and keep >= 1 completion token', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 30 }), (prompt, completion, maxLength) => {
      const r = tokenizePromptCompletion(tok, prompt, completion, { maxLength });
      const promptLength = prompt.length + 1;
      if (promptLength >= maxLength) {
        assert.deepEqual(r, { ok: false, reason: 'prompt-too-long' });
        return;
      }
      assert.ok(r.ok);
      assert.equal(r.sequence.ids.length, Math.min(maxLength, promptLength + completion.length + 1));
      assert.deepEqual(r.sequence.ids.slice(0, promptLength), [1, ...ids(prompt)]);
      assert.ok(r.sequence.ids.length - r.sequence.promptLength >= 1);
    }),
  );
});

test('collatePreference: chosen rows first, rejected after, right-padded, mask on completion tokens only', () => {
  const seq = (p: string, c: string) => {
    const r = tokenizePromptCompletion(tok, p, c, { maxLength: 32 });
    assert.ok(r.ok);
    return r.sequence;
  };
  const pairs = [
    { chosen: seq('P', 'yes'), rejected: seq('P', 'no') },
    { chosen: seq('PP', 'y'), rejected: seq('PP', 'nope') },
  ];
  const batch = collatePreference(pairs, { padTokenId: 0 });
  assert.equal(batch.pairs, 2);
  const { rows, seqLen, inputIds, completionMask } = batch.tokens;
  assert.equal(rows, 4);
  assert.equal(seqLen, 8); // BOS + PP + nope + EOS
  const row = (r: number) => Array.from(inputIds.slice(r * seqLen, (r + 1) * seqLen));
  const mask = (r: number) => Array.from(completionMask.slice(r * seqLen, (r + 1) * seqLen));
  assert.deepEqual(row(0), [1, ...ids('Pyes'), 2, 0, 0]);
  assert.deepEqual(mask(0), [0, 0, 1, 1, 1, 1, 0, 0]);
  assert.deepEqual(row(1), [1, ...ids('PPy'), 2, 0, 0, 0]);
  assert.deepEqual(row(2), [1, ...ids('Pno'), 2, 0, 0, 0]);
  assert.deepEqual(mask(3), [0, 0, 0, 1, 1, 1, 1, 1]);
});

test('collate pads to a fixed seqLen when asked, and refuses one shorter than a row', () => {
  const batch = collateSequences([{ ids: [1, 5, 6, 2], promptLength: 2 }], { padTokenId: 9, seqLen: 6 });
  assert.deepEqual(Array.from(batch.inputIds), [1, 5, 6, 2, 9, 9]);
  assert.deepEqual(Array.from(batch.completionMask), [0, 0, 1, 1, 0, 0]);
  assert.throws(() => collateSequences([{ ids: [1, 5, 6, 2], promptLength: 2 }], { padTokenId: 0, seqLen: 3 }), /seqLen 3/);
});

test('property: position 0 is never a completion token, even with an empty prompt and no BOS', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ len: fc.integer({ min: 1, max: 10 }), prompt: fc.integer({ min: 0, max: 9 }) }), { minLength: 1, maxLength: 5 }), (specs) => {
      const seqs = specs.map(({ len, prompt }) => ({ ids: Array.from({ length: len }, (_, i) => 10 + i), promptLength: Math.min(prompt, len - 1) }));
      const batch = collateSequences(seqs, { padTokenId: 0 });
      seqs.forEach((s, r) => {
        assert.equal(batch.completionMask[r * batch.seqLen], 0);
        let count = 0;
        for (let i = 0; i < batch.seqLen; i++) count += batch.completionMask[r * batch.seqLen + i]!;
        assert.equal(count, s.ids.length - Math.max(s.promptLength, 1));
      });
    }),
  );
});
