import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateArithSplits } from '../../arena/task/index.ts';
import { HfTokenizer } from '../../core/model/hf-tokenizer.ts';
import { taskTokenizerFiles } from '../../arena/task/tokenizer.ts';

test('task tokenizer: exact round trip; numbers 0-99 and every word of the task are one token each', () => {
  const splits = generateArithSplits({ seed: 3, train: 60, eval: 10, test: 10, maxNumber: 30, maxSteps: 2 });
  const texts = [...splits.train, ...splits.eval, ...splits.test].flatMap((p) => [p.prompt, p.chosen, p.rejected]);
  const { tokenizerJson, tokenizerConfig } = taskTokenizerFiles(texts);
  const tokenizer = new HfTokenizer(tokenizerJson, tokenizerConfig);
  for (const text of texts) assert.equal(tokenizer.decode(tokenizer.encode(text)), text);
  for (let n = 0; n <= 99; n++) assert.equal(tokenizer.encode(String(n)).length, 1, `number ${n}`);
  for (const word of new Set(texts.flatMap((t) => t.match(/[A-Za-z]{2,}|#{2,}/g) ?? []))) assert.equal(tokenizer.encode(word).length, 1, word);
  // A number is the same token in the question and in the answer; unseen text still round-trips.
  const pair = splits.test[0]!;
  const answerIds = tokenizer.encode(String(pair.answer));
  assert.deepEqual(tokenizer.encode(`#### ${pair.answer}`).slice(-1), answerIds);
  assert.equal(tokenizer.decode(tokenizer.encode('Zed owns 123 xylophones!')), 'Zed owns 123 xylophones!');
  assert.ok(tokenizer.encode(texts[0]!).length < texts[0]!.length / 1.5);
});
