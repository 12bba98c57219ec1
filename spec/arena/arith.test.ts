import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyOp, exactMatch, extractAnswer, generateArithSplits, generateProblem, isCorrect, makeArithPair, renderSolution, TEMPLATES, withinDifficulty,
} from '../../arena/task/index.ts';
import { createRng } from '../../core/data/random.ts';

/** The calculations `a op b = r` of a solution, in order (plain or gsm8k style). */
function calculations(solution: string): { a: number; op: string; b: number; r: number }[] {
  return solution.split('\n').slice(0, -1).map((line) => {
    const m = /(\d+)([-+*/])(\d+)(?: = <<\d+[-+*/]\d+=\d+>>|=)(\d+)/.exec(line);
    assert.ok(m, `no calculation in ${JSON.stringify(line)}`);
    return { a: Number(m[1]), op: m[2]!, b: Number(m[3]), r: Number(m[4]) };
  });
}

const apply = (op: string, a: number, b: number) => ({ '+': a + b, '-': a - b, '*': a * b, '/': a / b })[op]!;

test('property: chosen solutions are correct: every step computes right, 2-3 steps, the final answer follows ####, under 256 characters (plain)', () => {
  fc.assert(
    fc.property(fc.integer(), fc.constantFrom('plain' as const, 'gsm8k' as const), (seed, style) => {
      const rng = createRng(seed);
      const pair = makeArithPair(generateProblem(rng), rng, style)!;
      const calcs = calculations(pair.chosen);
      assert.ok(calcs.length >= 2 && calcs.length <= 3);
      for (const { a, op, b, r } of calcs) assert.equal(apply(op, a, b), r);
      assert.equal(extractAnswer(pair.chosen), calcs.at(-1)!.r);
      assert.equal(pair.answer, calcs.at(-1)!.r);
      assert.ok(pair.prompt.startsWith('Q: ') && pair.prompt.endsWith('\nA: '));
      assert.ok(pair.prompt.length + pair.chosen.length < (style === 'plain' ? 256 : 320), 'short enough for a character-level model');
    }),
  );
});

test('property: rejected differs from chosen in one intermediate result and the final answer, the error carried forward', () => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const rng = createRng(seed);
      const pair = makeArithPair(generateProblem(rng), rng)!;
      const good = calculations(pair.chosen), bad = calculations(pair.rejected);
      assert.equal(bad.length, good.length);
      const k = good.findIndex((g, i) => g.r !== bad[i]!.r);
      assert.equal(k, pair.corruption.step);
      assert.ok(k < good.length - 1, 'the wrong result is an intermediate one');
      // Steps before k are identical; step k has the same calculation with a wrong result.
      assert.deepEqual(bad.slice(0, k), good.slice(0, k));
      assert.deepEqual({ ...bad[k]!, r: 0 }, { ...good[k]!, r: 0 });
      assert.notEqual(apply(bad[k]!.op, bad[k]!.a, bad[k]!.b), bad[k]!.r);
      // Later steps compute correctly from the wrong value, so the final answer is wrong too.
      for (const { a, op, b, r } of bad.slice(k + 1)) assert.equal(apply(op, a, b), r);
      assert.notEqual(extractAnswer(pair.rejected), extractAnswer(pair.chosen));
      assert.equal(pair.rejected.split('\n').length, pair.chosen.split('\n').length);
    }),
  );
});

test('every template yields valid problems, and the gsm8k style adds <<...>> annotations', () => {
  const rng = createRng(5);
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(generateProblem(rng).template);
  assert.deepEqual([...seen].sort(), TEMPLATES.map((t) => t.name).sort());
  const problem = generateProblem(createRng(1));
  assert.match(renderSolution(problem, 'gsm8k'), /\d = <<\d+[-+*/]\d+=\d+>>\d+/);
  assert.doesNotMatch(renderSolution(problem, 'plain'), /<</);
  assert.equal(applyOp('/', 7, 2), undefined);
  assert.equal(applyOp('-', 2, 3), undefined);
});

test('splits are deterministic, disjoint by problem, sized as asked, and held-out splits do not depend on the train size', () => {
  const a = generateArithSplits({ seed: 11, train: 300, eval: 40, test: 40 });
  const b = generateArithSplits({ seed: 11, train: 300, eval: 40, test: 40 });
  assert.deepEqual(a, b);
  assert.deepEqual([a.train.length, a.eval.length, a.test.length], [300, 40, 40]);
  const ids = [...a.train, ...a.eval, ...a.test].map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  const questions = [...a.train, ...a.eval, ...a.test].map((p) => p.prompt);
  assert.equal(new Set(questions).size, questions.length);
  const c = generateArithSplits({ seed: 11, train: 10, eval: 40, test: 40 });
  assert.deepEqual(c.test, a.test);
  assert.deepEqual(c.eval, a.eval);
  assert.notDeepEqual(generateArithSplits({ seed: 12, train: 0, eval: 0, test: 40 }).test, a.test);
});

test('asking for more distinct problems than it can find is a UserError (after maxMisses fruitless draws)', () => {
  assert.throws(() => generateArithSplits({ seed: 1, train: 5000, eval: 0, test: 0, maxMisses: 0 }), /cannot draw 5000 distinct arithmetic problems \(found \d+\)/);
});

test('extractAnswer takes the number after the last ####, commas removed; fallback to the last number is opt-in', () => {
  assert.equal(extractAnswer('3*4=12\n#### 12'), 12);
  assert.equal(extractAnswer('#### 1,234.5 dollars'), 1234.5);
  assert.equal(extractAnswer('#### -7'), -7);
  assert.equal(extractAnswer('#### 1\n#### 2'), 2);
  assert.equal(extractAnswer('#### none'), undefined);
  assert.equal(extractAnswer('the answer is 42'), undefined);
  assert.equal(extractAnswer('the answer is 42.', { fallbackToLastNumber: true }), 42);
});

test('exact-match scoring compares final answers numerically', () => {
  assert.ok(isCorrect('blah\n#### 12', 12));
  assert.ok(isCorrect('x\n#### 12.0', 'y\n#### 12'));
  assert.ok(!isCorrect('x\n#### 13', 12));
  assert.ok(!isCorrect('no answer', 12));
  const score = exactMatch(['#### 1', '#### 2', 'garbage', '#### 4'], [1, 3, 5, '#### 4']);
  assert.deepEqual(score, { correct: 2, total: 4, accuracy: 0.5, matches: [true, false, false, true] });
  assert.equal(exactMatch([], []).accuracy, 0);
  assert.throws(() => exactMatch(['#### 1'], []), RangeError);
});

test('property: difficulty options keep only problems within the limits (every constant and step result <= maxNumber, at most maxSteps steps), deterministically', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 12, max: 40 }), fc.constantFrom(2, 3), (seed, maxNumber, maxSteps) => {
      const options = { seed, train: 10, eval: 3, test: 3, maxNumber, maxSteps };
      const splits = generateArithSplits(options);
      assert.deepEqual(generateArithSplits(options), splits);
      for (const pair of [...splits.train, ...splits.eval, ...splits.test]) {
        const calcs = calculations(pair.chosen);
        assert.ok(calcs.length <= maxSteps);
        for (const { a, b, r } of calcs) assert.ok(a <= maxNumber && b <= maxNumber && r <= maxNumber, `${pair.chosen} exceeds ${maxNumber}`);
      }
    }),
    { numRuns: 30 },
  );
});

test('withinDifficulty accepts every problem when no limit is set, and the default splits do not change', () => {
  const rng = createRng(9);
  for (let i = 0; i < 200; i++) assert.ok(withinDifficulty(generateProblem(rng), {}));
  assert.deepEqual(generateArithSplits({ seed: 4, train: 20, eval: 5, test: 5 }), generateArithSplits({ seed: 4, train: 20, eval: 5, test: 5, maxNumber: undefined }));
  assert.ok(!withinDifficulty(generateProblem(createRng(1)), { maxNumber: 1 }), 'no problem has all numbers <= 1');
});
