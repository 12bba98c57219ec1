import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';

test('prefopt reproduce --profile test: SFT, 2 methods x 2 rates x 2 seeds, then the table with standard errors, paired comparisons, the claims, report.md, results.json and plots; a second run resumes', async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'prefopt-reproduce-')), 'run');
  const result = runCli(['reproduce', '--profile', 'test', '--out', out, '--backend', 'wasm'], { timeoutMs: 600_000 });
  assert.equal(result.status, 0, result.stderr);
  // Progress: stage names, the trainer's progress, generation progress, finished runs, on stderr.
  for (const line of ['== 1/5 data', '== 2/5 SFT', '== 3/5 preference pairs (close)', '== 4/5 preference runs', '[8/8]', '== 5/5 report', 'train step', 'generate: 6/6 test answers']) {
    assert.ok(result.stderr.includes(line), `stderr lacks '${line}'`);
  }
  assert.match(result.stdout, /method\s+lr\s+seeds\s+test acc %/);
  for (const row of [/dpo\s+1e-3\s+2\s/, /dpo\s+1e-2\s+2\s/, /minor-dpo\s+1e-3\s+2\s/, /minor-dpo\s+1e-2\s+2\s/]) assert.match(result.stdout, row);
  assert.match(result.stdout, /The paper's claims:\n {2}At the low rate, dpo /);
  assert.match(result.stdout, /At the high rate, .*\(minor-dpo - dpo = [+-]\d+\.\d points, 95% interval/);
  assert.match(result.stdout, /report: .*report\.md/);

  const files = await readdir(out);
  for (const file of ['report.md', 'results.json', 'comparison.json', 'accuracy-vs-lr.svg', 'drift-chosen.svg', 'drift-rejected.svg', 'loss.svg', 'data', 'sft', 'runs']) {
    assert.ok(files.includes(file), `missing ${file}`);
  }
  const report = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(report, /## Result\n\n\| method \| lr \| seeds \|/);
  assert.match(report, /## The paper's claims/);
  assert.match(report, /!\[accuracy-vs-lr\]\(accuracy-vs-lr\.svg\)/);
  const svg = await readFile(path.join(out, 'accuracy-vs-lr.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg') && svg.includes('minor-dpo') && svg.includes('SFT model'));
  assert.deepEqual((await readdir(path.join(out, 'runs'))).sort(), [
    'dpo-lr1e-2-seed1', 'dpo-lr1e-2-seed2', 'dpo-lr1e-3-seed1', 'dpo-lr1e-3-seed2',
    'minor-dpo-lr1e-2-seed1', 'minor-dpo-lr1e-2-seed2', 'minor-dpo-lr1e-3-seed1', 'minor-dpo-lr1e-3-seed2',
  ]);
  const metrics = (await readFile(path.join(out, 'runs', 'minor-dpo-lr1e-2-seed1', 'train', 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(metrics.some((m) => typeof m.eval_accuracy === 'number'), 'test accuracy logged through the task-metric hook');
  // MinorDPO never pushes a rejected answer that is already below the reference (issue 14: the
  // check must not pass vacuously when no training line was logged).
  const trainingLines = metrics.filter((m) => typeof m.loss === 'number');
  assert.ok(trainingLines.length > 0, 'training lines were logged');
  for (const line of trainingLines) assert.equal(line['rejected_below_ref/with_gradient'], 0, `step ${line.step}`);
  const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
  assert.equal(results.runs.length, 8);
  assert.ok(results.comparisons.length >= 6);

  // Again into the same folder: every run is finished, so only the report is rebuilt.
  const again = runCli(['reproduce', '--profile', 'test', '--out', out, '--backend', 'wasm'], { timeoutMs: 600_000 });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /\(8 finished before: skipped\)/);
  assert.ok(!again.stderr.includes(' start '));
});

test('prefopt reproduce: an unknown profile, pairs kind or backend is a one-line error', () => {
  const profile = runCli(['reproduce', '--profile', 'huge']);
  assert.equal(profile.status, 1);
  assert.equal(profile.stderr, "prefopt: unknown profile 'huge'; choose one of quick, full, test\n");
  const pairs = runCli(['reproduce', '--profile', 'test', '--pairs', 'far']);
  assert.equal(pairs.status, 1);
  assert.equal(pairs.stderr, "prefopt: --pairs expects 'close' or 'on-policy' (got 'far')\n");
  const backend = runCli(['reproduce', '--profile', 'test', '--backend', 'gpu', '--out', path.join(tmpdir(), 'never-written')]);
  assert.equal(backend.status, 1);
  assert.match(backend.stderr, /^prefopt: profile test: backend must be one of "auto", "tensorflow", "webgpu", "wasm", "cpu" \(got "gpu"\)\n$/);
});
