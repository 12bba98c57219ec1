/**
 * The fuzz suite at CI size: a few generated malformed inputs of every kind through the CLI
 * (in-process), and kill-and-resume at a few kill points. `npm run fuzz` runs thousands of cases
 * and 20 random kill points (spec/fuzz/main.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killAndResume } from './kill-resume.ts';
import { runFuzz } from './run.ts';

test('fuzz: every generated malformed input gives a one-line error or a correct answer, no stack trace, no hang, no file touched outside the output', { timeout: 240_000 }, async () => {
  const summary = await runFuzz({ perKind: 6, seed: 2026, trainCases: 3 });
  const failures = summary.failures.map((f) => `${f.kind} seed ${f.seed}: ${f.reason} [${f.description}]`);
  assert.deepEqual(failures, []);
  assert.equal(summary.cases, 6 * 6 + 3);
  for (const [kind, stats] of Object.entries(summary.byKind)) {
    if (kind !== 'train-output') assert.ok(stats.rejected > 0, `${kind}: some generated inputs are rejected (the generator produces bad input)`);
  }
});

test('kill -9 before the first checkpoint and while model/ is written: the resumed run ends identical to one never killed', { timeout: 240_000 }, async () => {
  const result = await killAndResume({ points: ['step:1', 'model'], seed: 1 });
  assert.deepEqual(result.mismatches, []);
  assert.ok(result.points.every((p) => p.killed), `the kills landed: ${JSON.stringify(result.points)}`);
});
