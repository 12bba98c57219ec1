import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  convertGsm8k, corruptAnnotatedSolution, evaluateExpression, extractAnswer, parseGsm8kRecord, rejectGsm8kAnswer, stripAnnotations,
} from '../../arena/task/index.ts';
import { createRng } from '../../core/data/random.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';

const LINES = [
  '{"question": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?", "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\\n#### 72"}',
  '{"question": "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes of babysitting. How much did she earn?", "answer": "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\\nWorking 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\\n#### 10"}',
  '{"question": "Tom has 3 cats. How many cats does he have?", "answer": "He has 3 cats.\\n#### 3"}',
];
const RECORDS = LINES.map((l, i) => ({ line: i + 1, ...parseGsm8kRecord(JSON.parse(l), 'gsm.jsonl', i + 1) }));

test('evaluateExpression handles + - * / x and parentheses, and refuses anything else', () => {
  assert.equal(evaluateExpression('48/2'), 24);
  assert.equal(evaluateExpression('0.2 x 50'), 10);
  assert.equal(evaluateExpression('(3+4)*2-1'), 13);
  assert.equal(evaluateExpression('-3+5'), 2);
  assert.equal(evaluateExpression('1,000/4'), 250);
  assert.equal(evaluateExpression('3^2'), undefined);
  assert.equal(evaluateExpression('2*'), undefined);
  assert.equal(evaluateExpression('abc'), undefined);
});

test('corrupting an intermediate annotation carries the wrong value into later steps and the final answer', () => {
  const answer = RECORDS[0]!.answer;
  assert.equal(
    corruptAnnotatedSolution(answer, 0, 25),
    'Natalia sold 48/2 = <<48/2=25>>25 clips in May.\nNatalia sold 48+25 = <<48+25=73>>73 clips altogether in April and May.\n#### 73',
  );
  assert.equal(
    corruptAnnotatedSolution(RECORDS[1]!.answer, 0, 0.3),
    'Weng earns 12/60 = $<<12/60=0.3>>0.3 per minute.\nWorking 50 minutes, she earned 0.3 x 50 = $<<0.3*50=15>>15.\n#### 15',
  );
});

test('converted pairs: chosen is the reference answer, rejected changes one intermediate result and the final answer', () => {
  const { pairs, skippedLines } = convertGsm8k(RECORDS, { seed: 3 });
  assert.deepEqual(skippedLines, [3]);
  assert.equal(pairs.length, 2);
  for (const [i, pair] of pairs.entries()) {
    assert.equal(pair.chosen, RECORDS[i]!.answer);
    assert.equal(pair.prompt, `Q: ${RECORDS[i]!.question}\nA: `);
    assert.notEqual(extractAnswer(pair.rejected), extractAnswer(pair.chosen));
    // The first annotation (the intermediate one) differs; the line count is the same.
    const first = (s: string) => /<<[^>]*>>/.exec(s)![0];
    assert.notEqual(first(pair.rejected), first(pair.chosen));
    assert.equal(pair.rejected.split('\n').length, pair.chosen.split('\n').length);
  }
  assert.deepEqual(convertGsm8k(RECORDS, { seed: 3 }), convertGsm8k(RECORDS, { seed: 3 }));
  const stripped = convertGsm8k(RECORDS, { seed: 3, stripAnnotations: true });
  assert.equal(stripped.pairs[0]!.chosen, stripAnnotations(RECORDS[0]!.answer));
  assert.doesNotMatch(stripped.pairs[0]!.rejected, /<</);
});

test('a single-step solution gets its only (final) result changed', () => {
  const made = rejectGsm8kAnswer('So 3*4 = <<3*4=12>>12 apples.\n#### 12', createRng(0));
  assert.ok(made);
  assert.equal(made.step, 0);
  assert.notEqual(extractAnswer(made.rejected), 12);
});

test('bad GSM8K records are UserErrors naming file, line and field', () => {
  assert.throws(() => parseGsm8kRecord({ question: 'q', answer: 'no final answer' }, 'g.jsonl', 7), /^Error: g\.jsonl:7: field 'answer' must be a GSM8K solution ending in '#### N'|g\.jsonl:7: field 'answer'/);
  assert.throws(() => parseGsm8kRecord({ answer: '#### 1' }, 'g.jsonl', 2), /g\.jsonl:2: field 'question' must be a non-empty string/);
  assert.throws(() => parseGsm8kRecord('x', 'g.jsonl', 1), /g\.jsonl:1: expected a JSON object/);
});

const SHARED_GSM8K = path.join(PACKAGE_ROOT, '../shared/data/gsm8k/train.jsonl');

test('the real GSM8K train file (when present) converts for most records, every pair with a changed final answer', (t) => {
  if (!existsSync(SHARED_GSM8K)) {
    t.skip(`GSM8K is not at ${SHARED_GSM8K}`);
    return;
  }
  const lines = readFileSync(SHARED_GSM8K, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const records = lines.map((l, i) => ({ line: i + 1, ...parseGsm8kRecord(JSON.parse(l), SHARED_GSM8K, i + 1) }));
  const { pairs, skippedLines } = convertGsm8k(records, { seed: 0 });
  assert.equal(pairs.length + skippedLines.length, records.length);
  assert.ok(pairs.length / records.length > 0.9, `only ${pairs.length} of ${records.length} converted`);
  for (const pair of pairs) {
    assert.notEqual(extractAnswer(pair.rejected), extractAnswer(pair.chosen));
    assert.equal(pair.rejected.split('\n').length, pair.chosen.split('\n').length);
  }
});
