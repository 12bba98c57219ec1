/** On-policy pairs: chosen = a correct sample, rejected = a wrong one; no pair when all agree. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pairFromSamples } from '../../arena/compare/on-policy.ts';

const right = { text: '2*3=6\n#### 6', finished: true };
const wrong = { text: '2*3=5\n#### 5', finished: true };
const cutOff = { text: '2*3=6\n#### 6', finished: false };

test('a question with a correct and a wrong sample gives the pair (first correct, first wrong)', () => {
  assert.deepEqual(pairFromSamples('Q', 6, [wrong, right, right]), { prompt: 'Q', chosen: right.text, rejected: wrong.text });
});

test('all correct or all wrong samples give no pair', () => {
  assert.equal(pairFromSamples('Q', 6, [right, right]), 'all-correct');
  assert.equal(pairFromSamples('Q', 6, [wrong, wrong]), 'all-wrong');
});

test('a sample cut off at the token limit is never chosen, even with the right number: it can only be rejected', () => {
  assert.equal(pairFromSamples('Q', 6, [cutOff, wrong]), 'all-wrong');
  assert.deepEqual(pairFromSamples('Q', 6, [cutOff, right]), { prompt: 'Q', chosen: right.text, rejected: cutOff.text });
});
