import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildReport } from '../../arena/reproduce/report.ts';
import { summarizeRun, spread, tableRows, type MetricsRecord, type RunSummary } from '../../arena/reproduce/summary.ts';
import { formatMarkdownTable, formatTextTable } from '../../arena/reproduce/table.ts';
import { verdict } from '../../arena/reproduce/verdict.ts';

/** A synthetic metrics.jsonl: training lines every 5 steps, evaluations at 10 and 20. */
function history(finalAccuracy: number, pushed: number): MetricsRecord[] {
  const train = [5, 10, 15, 20].map((step) => ({ step, loss: 0.7 - step / 100, 'rewards/chosen': step / 100, 'rejected_below_ref/with_gradient': pushed }));
  const evals = [10, 20].map((step) => ({
    step,
    eval_loss: 0.5,
    'eval_rewards/accuracies': step === 20 ? 0.9 : 0.7,
    'eval_rewards/margins': step / 10,
    'eval_logratio/chosen': -step / 10,
    'eval_logratio/rejected': -step,
    eval_accuracy: step === 20 ? finalAccuracy : 0.5,
    eval_malformed: 0.1,
    eval_repeated_ngrams: 0.02,
  }));
  return [train[0]!, train[1]!, evals[0]!, train[2]!, train[3]!, evals[1]!];
}

const before = { accuracy: 0.5, malformed: 0.05, repeated_ngrams: 0.01 };

function run(method: string, lrLabel: string, learningRate: number, seed: number, finalAccuracy: number): RunSummary {
  return summarizeRun({ method, lrLabel, learningRate, seed }, history(finalAccuracy, method === 'dpo' ? 0.4 : 0), before);
}

test('summarizeRun takes the final evaluation, and averages the pushed-below-reference fraction over training lines', () => {
  const s = run('dpo', 'high', 1e-3, 1, 0.3);
  assert.equal(s.accuracyBefore, 0.5);
  assert.equal(s.accuracyAfter, 0.3);
  assert.equal(s.rewardAccuracy, 0.9);
  assert.equal(s.margin, 2);
  assert.equal(s.logratioChosen, -2);
  assert.equal(s.logratioRejected, -20);
  assert.equal(s.pushedBelowRef, 0.4);
  assert.equal(s.malformedBefore, 0.05);
  assert.equal(s.malformedAfter, 0.1);
  assert.ok(Number.isNaN(summarizeRun({ method: 'x', lrLabel: 'l', learningRate: 1, seed: 0 }, [], before).accuracyAfter), 'no evaluation: NaN, shown as n/a');
});

test('tableRows groups by method and learning rate, aggregates seeds (mean, sample sd) and orders methods as asked', () => {
  const runs = [
    run('minor-dpo', 'high', 1e-3, 1, 0.6), run('dpo', 'high', 1e-3, 1, 0.2), run('dpo', 'low', 1e-4, 1, 0.55),
    run('dpo', 'high', 1e-3, 2, 0.4), run('minor-dpo', 'high', 1e-3, 2, 0.6), run('minor-dpo', 'low', 1e-4, 1, 0.55),
  ];
  const rows = tableRows(runs, ['dpo', 'minor-dpo']);
  assert.deepEqual(rows.map((r) => [r.method, r.lrLabel, r.seeds]), [['dpo', 'low', 1], ['dpo', 'high', 2], ['minor-dpo', 'low', 1], ['minor-dpo', 'high', 2]]);
  const dpoHigh = rows[1]!.values.accuracyAfter;
  assert.ok(Math.abs(dpoHigh.mean - 0.3) < 1e-12);
  assert.ok(Math.abs(dpoHigh.sd - Math.sqrt(0.02)) < 1e-12);
  assert.deepEqual(spread([1]), { mean: 1, sd: 0, n: 1 });
  assert.deepEqual(spread([Number.NaN, 2, 4]), { mean: 3, sd: Math.SQRT2, n: 2 });

  const text = formatTextTable(rows);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^method\s+lr\s+test acc %\s+reward acc %/);
  assert.equal(lines.length, 2 + rows.length);
  assert.match(text, /dpo\s+1e-3 \(high\)\s+50\.0 ± 0\.0 -> 30\.0 ± 14\.1/);
  assert.match(text, /minor-dpo\s+1e-4 \(low\)\s+50\.0 -> 55\.0\s+90\.0/);
  assert.match(text, /pushed below ref %/);
  const md = formatMarkdownTable(rows);
  assert.match(md, /^\| method \| lr \| test acc % \|/);
  assert.match(md, /\| minor-dpo \| 1e-3 \(high\) \| 50\.0 ± 0\.0 -> 60\.0 ± 0\.0 \| 90\.0 ± 0\.0 \|/);
  assert.match(md, /- \*\*pushed below ref %\*\*: .*0 for MinorDPO by design/);
});

test('the verdict follows the numbers: supported, contradicted or inconclusive at the highest learning rate', () => {
  const rows = (dpoAcc: number, minorAcc: number) =>
    tableRows([run('dpo', 'low', 1e-4, 1, 0.55), run('dpo', 'high', 1e-3, 1, dpoAcc), run('minor-dpo', 'low', 1e-4, 1, 0.55), run('minor-dpo', 'high', 1e-3, 1, minorAcc)]);
  const supported = verdict(rows(0.1, 0.55), 200);
  assert.equal(supported.outcome, 'supported');
  assert.match(supported.lines.join('\n'), /DPO degraded at the high learning rate/);
  assert.match(supported.lines.join('\n'), /dpo at lr 1e-3 \(high\): test accuracy 50\.0% -> 10\.0% \(-40\.0 points\)/);
  const contradicted = verdict(rows(0.6, 0.2), 200);
  assert.equal(contradicted.outcome, 'contradicted');
  assert.match(contradicted.lines.join('\n'), /goes against the paper's claim/);
  const unclear = verdict(rows(0.5, 0.52), 200);
  assert.equal(unclear.outcome, 'inconclusive');
  assert.match(unclear.lines.join('\n'), /DPO did not clearly degrade/);
  assert.match(unclear.lines.join('\n'), /neither supports nor refutes/);
  assert.equal(verdict(tableRows([run('dpo', 'high', 1e-3, 1, 0.5)]), 100).outcome, 'inconclusive');
  // Same accuracy, but DPO's answers degenerate: supported on well-formedness.
  const degenerate = tableRows([
    { ...run('dpo', 'high', 1e-3, 1, 0.05), malformedAfter: 0.8 },
    { ...run('minor-dpo', 'high', 1e-3, 1, 0.04), malformedAfter: 0.01 },
  ]);
  const byForm = verdict(degenerate, 96);
  assert.equal(byForm.outcome, 'supported');
  assert.match(byForm.lines.join('\n'), /DPO's answers degenerated more: 80\.0% malformed after DPO vs 1\.0% after MinorDPO/);
  assert.match(byForm.lines.join('\n'), /MinorDPO kept its answers well-formed/);
});

test('report.md holds the setup, the table, the verdict, the plots and samples', () => {
  const rows = tableRows([run('dpo', 'high', 1e-3, 1, 0.2), run('minor-dpo', 'high', 1e-3, 1, 0.6)]);
  const report = buildReport({
    profile: 'quick',
    setup: ['model: tiny'],
    rows,
    verdict: verdict(rows, 100),
    plots: ['loss.svg', 'accuracy.svg'],
    samples: [{ heading: 'dpo, lr 1e-3 (high)', items: [{ prompt: 'Q: 1+1?\nA: ', answer: '1+1=2\n#### 2', correct: true }] }],
    referenceDegeneration: { repeated_ngrams: 0, malformed: 0 },
  });
  assert.match(report, /^# DPO vs MinorDPO in miniature \(profile `quick`\)/);
  assert.match(report, /- model: tiny/);
  assert.match(report, /\| dpo \| 1e-3 \(high\) \| 50\.0 -> 20\.0 \|/);
  assert.match(report, /## Verdict\n\n- dpo at lr 1e-3/);
  assert.match(report, /!\[loss\]\(loss\.svg\)/);
  assert.match(report, /### dpo, lr 1e-3 \(high\)\n\n {4}Q: 1\+1\?\n {4}A: 1\+1=2\n {4}#### 2\n\ncorrect/);
});
