import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { degeneration, isWellFormed, repeatedNgramRate } from '../../arena/compare/degeneration.ts';

const GOOD = 'Ann has 3*4=12 apples.\nAnn has 12-5=7 apples left.\n#### 7';

test('repeated n-grams: a looping answer is detected, a normal solution is not', () => {
  assert.equal(repeatedNgramRate(GOOD), 0);
  assert.equal(repeatedNgramRate('has has has has has has has has'), 1 - 1 / 5); // 5 4-grams, 1 distinct
  assert.ok(repeatedNgramRate('Ann has 3 apples. Ann has 3 apples. Ann has 3 apples.') > 0.5);
  assert.equal(repeatedNgramRate('too short'), 0);
  assert.ok(Math.abs(repeatedNgramRate('a b a b', 2) - 1 / 3) < 1e-12); // ab, ba, ab
});

test('property: rep-4 is in [0, 1), and saying a text of >= 4 words twice never lowers it', () => {
  fc.assert(
    fc.property(fc.array(fc.stringMatching(/^[a-c]{1,2}$/), { minLength: 0, maxLength: 30 }), (words) => {
      const text = words.join(' ');
      const rate = repeatedNgramRate(text);
      assert.ok(rate >= 0 && rate < 1);
      if (words.length >= 4) assert.ok(repeatedNgramRate(`${text} ${text}`) >= rate);
    }),
  );
  const base = 'w1 w2 w3 w4 w5 w6 w7 w8';
  assert.ok(Math.abs(repeatedNgramRate(`${base} ${base}`) - 5 / 13) < 1e-12); // 13 4-grams, 8 distinct
});

test('well-formedness: the last line is `#### N` and generation stopped at EOS', () => {
  assert.ok(isWellFormed(GOOD, 'eos'));
  assert.ok(isWellFormed('x 1+1=2 x.\n#### -3', 'eos'));
  assert.ok(!isWellFormed(GOOD, 'length'), 'no EOS');
  assert.ok(!isWellFormed('Ann has 3*4=12 apples.\nAnn has 12-5=7 apples left.', 'eos'), 'no final answer');
  assert.ok(!isWellFormed('Ann has 12 apples.\n####### 7', 'eos'), 'broken marker');
  assert.ok(!isWellFormed('#### 7', 'eos'), 'no solution before the answer');
  assert.ok(!isWellFormed('Ann has 12.\n#### 7 apples', 'eos'), 'text after the number');
});

test('degeneration aggregates over generations', () => {
  const d = degeneration([
    { text: GOOD, finishReason: 'eos' },
    { text: 'has has has has has has has has', finishReason: 'length' },
  ]);
  assert.equal(d.malformed, 0.5);
  assert.equal(d.no_eos, 0.5);
  assert.equal(d.repeated_ngrams, (0 + 0.8) / 2);
  assert.deepEqual(degeneration([]), { repeated_ngrams: 0, malformed: 0, no_eos: 0 });
});
