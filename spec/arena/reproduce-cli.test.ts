import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';

test('prefopt reproduce --profile test: SFT, four preference runs, then report.md, metrics, SVG plots and the table on stdout', async () => {
  const out = path.join(await mkdtemp(path.join(tmpdir(), 'prefopt-reproduce-')), 'run');
  const result = runCli(['reproduce', '--profile', 'test', '--out', out, '--backend', 'wasm']);
  assert.equal(result.status, 0, result.stderr);
  // Progress: stage names, the trainer's progress and generation progress, on stderr.
  for (const line of ['== 1/4 data', '== 2/4 SFT (seed 1)', '== 3/4 preference run 4/4: minor-dpo', '== 4/4 report', 'train step', 'generate: 6/6 test answers']) {
    assert.ok(result.stderr.includes(line), `stderr lacks '${line}'`);
  }
  // The table: one row per method x learning rate.
  assert.match(result.stdout, /method\s+lr\s+test acc %/);
  for (const row of [/dpo\s+1e-3 \(low\)/, /dpo\s+1e-2 \(high\)/, /minor-dpo\s+1e-3 \(low\)/, /minor-dpo\s+1e-2 \(high\)/]) assert.match(result.stdout, row);
  assert.match(result.stdout, /report: .*report\.md/);

  const files = await readdir(out);
  for (const file of ['report.md', 'results.json', 'loss.svg', 'rewards-chosen.svg', 'rewards-rejected.svg', 'accuracy.svg', 'malformed.svg', 'data', 'sft', 'runs']) {
    assert.ok(files.includes(file), `missing ${file}`);
  }
  const report = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(report, /## Result\n\n\| method \| lr \|/);
  assert.match(report, /## Verdict/);
  assert.match(report, /!\[accuracy\]\(accuracy\.svg\)/);
  const svg = await readFile(path.join(out, 'accuracy.svg'), 'utf8');
  assert.ok(svg.startsWith('<svg') && svg.includes('minor-dpo') && svg.includes('lr 1e-2 (high)'));
  assert.deepEqual((await readdir(path.join(out, 'runs'))).sort(), ['dpo-high-seed1', 'dpo-low-seed1', 'minor-dpo-high-seed1', 'minor-dpo-low-seed1']);
  const metrics = (await readFile(path.join(out, 'runs', 'minor-dpo-high-seed1', 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(metrics.some((m) => typeof m.eval_accuracy === 'number'), 'test accuracy logged through the task-metric hook');
  // MinorDPO never pushes a rejected answer that is already below the reference.
  const trainingLines = metrics.filter((m) => typeof m.loss === 'number');
  assert.ok(trainingLines.length > 0, 'training lines were logged');
  for (const line of trainingLines) assert.equal(line['rejected_below_ref/with_gradient'], 0, `step ${line.step}`);
  const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
  assert.equal(results.runs.length, 4);

  // A second run into the same folder is refused with one line, before any training.
  const again = runCli(['reproduce', '--profile', 'test', '--out', out]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^prefopt: .* already holds a reproduction; choose another --out\n$/);
});

test('prefopt reproduce: an unknown profile or backend is a one-line error', () => {
  const profile = runCli(['reproduce', '--profile', 'huge']);
  assert.equal(profile.status, 1);
  assert.equal(profile.stderr, "prefopt: unknown profile 'huge'; choose one of quick, full, test\n");
  const backend = runCli(['reproduce', '--profile', 'test', '--backend', 'gpu']);
  assert.equal(backend.status, 1);
  assert.match(backend.stderr, /^prefopt: --backend expects auto or one of tensorflow, webgpu, wasm, cpu \(got 'gpu'\)\n$/);
});
