import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, findComparison, type RunResult } from '../../arena/compare/analysis.ts';
import { buildReport } from '../../arena/compare/report.ts';
import { summarizeRun, tableRows, type MetricsRecord, type RunSummary } from '../../arena/compare/summary.ts';
import { formatMarkdownTable, formatTextTable } from '../../arena/compare/table.ts';
import { judgeClaims } from '../../arena/reproduce/claims.ts';

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
  const s = run('dpo', '1e-3', 1e-3, 1, 0.3);
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

test('tableRows groups by method and learning rate, a cell is mean ± standard error over seeds, methods in the order asked', () => {
  const runs = [
    run('minor-dpo', '1e-3', 1e-3, 1, 0.6), run('dpo', '1e-3', 1e-3, 1, 0.2), run('dpo', '1e-4', 1e-4, 1, 0.55),
    run('dpo', '1e-3', 1e-3, 2, 0.4), run('minor-dpo', '1e-3', 1e-3, 2, 0.6), run('minor-dpo', '1e-4', 1e-4, 1, 0.55),
  ];
  const rows = tableRows(runs, ['dpo', 'minor-dpo']);
  assert.deepEqual(rows.map((r) => [r.method, r.lrLabel, r.seeds]), [['dpo', '1e-4', 1], ['dpo', '1e-3', 2], ['minor-dpo', '1e-4', 1], ['minor-dpo', '1e-3', 2]]);
  const dpoHigh = rows[1]!.values.accuracyAfter;
  assert.ok(Math.abs(dpoHigh.mean - 0.3) < 1e-12);
  // sd of [0.2, 0.4] = sqrt(0.02); se = sd / sqrt(2) = 0.1.
  assert.ok(Math.abs(dpoHigh.se - 0.1) < 1e-12);

  const text = formatTextTable(rows);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^method\s+lr\s+seeds\s+test acc %\s+reward acc %/);
  assert.equal(lines.length, 2 + rows.length);
  assert.match(text, /dpo\s+1e-3\s+2\s+50\.0 -> 30\.0 ± 10\.0/);
  assert.match(text, /minor-dpo\s+1e-4\s+1\s+50\.0 -> 55\.0\s+90\.0/);
  const md = formatMarkdownTable(rows);
  assert.match(md, /^\| method \| lr \| seeds \| test acc % \|/);
  assert.match(md, /\| minor-dpo \| 1e-3 \| 2 \| 50\.0 -> 60\.0 ± 0\.0 \| 90\.0 ± 0\.0 \|/);
  assert.match(md, /- \*\*pushed below ref %\*\*: .*0 for MinorDPO by design/);
});

/** Per-question scores with `right` of `n` questions correct, the first ones. */
const scores = (right: number, n: number) => Array.from({ length: n }, (_, i) => (i < right ? 1 : 0));

function result(method: string, lr: number, seed: number, right: number, n = 100): RunResult {
  return { summary: { ...run(method, lr.toExponential(0), lr, seed, right / n) }, correct: scores(right, n), samples: [], seconds: 1 };
}

test('analyze pairs every method with the SFT model and with each other at each rate; a clear gain, a clear loss and no difference read as such', () => {
  const sft = scores(40, 100);
  const runs = [1, 2, 3].flatMap((seed) => [
    result('dpo', 1e-4, seed, 40), result('minor-dpo', 1e-4, seed, 60),
    result('dpo', 1e-3, seed, 5), result('minor-dpo', 1e-3, seed, 40),
  ]);
  const analysis = analyze(runs, sft, ['dpo', 'minor-dpo']);
  assert.equal(analysis.comparisons.length, 6, '2 rates x (2 vs SFT + 1 pair)');
  const same = findComparison(analysis, 1e-4, 'SFT', 'dpo')!;
  assert.deepEqual([same.mean, same.low, same.high, same.clear], [0, 0, 0, false]);
  const gain = findComparison(analysis, 1e-4, 'dpo', 'minor-dpo')!;
  assert.ok(Math.abs(gain.mean - 0.2) < 1e-12 && gain.clear && gain.low > 0, JSON.stringify(gain));
  const flipped = findComparison(analysis, 1e-4, 'minor-dpo', 'dpo')!;
  assert.ok(Math.abs(flipped.mean + 0.2) < 1e-12 && flipped.high < 0);
  assert.match(analysis.lines.join('\n'), /lr 1e-4: minor-dpo - dpo = \+20\.0 points test accuracy \(95% interval \[\+\d+\.\d, \+\d+\.\d\] points; sign test 60:0, p = .*; 3 seeds x 100 questions\): minor-dpo is clearly better\./);
  assert.match(analysis.lines.join('\n'), /lr 1e-3: dpo - SFT = -35\.0 points .*: dpo is clearly worse\./);
  assert.match(analysis.lines.join('\n'), /lr 1e-4: dpo - SFT = \+0\.0 points .*: no clear difference\./);

  const claims = judgeClaims(analysis, [1e-4, 1e-3], ['dpo', 'minor-dpo']);
  const outcome = (claim: string) => claims.find((c) => c.claim === claim)?.outcome;
  assert.equal(outcome('low rate: dpo raises accuracy over SFT'), 'inconclusive');
  assert.equal(outcome('low rate: minor-dpo raises accuracy over SFT'), 'supported');
  assert.equal(outcome('low rate: MinorDPO >= DPO'), 'supported');
  assert.equal(outcome('high rate: MinorDPO > DPO'), 'supported');
});

test('the claims verdict says contradicted when DPO ends clearly above MinorDPO at the high rate', () => {
  const sft = scores(40, 100);
  const runs = [1, 2, 3].flatMap((seed) => [result('dpo', 1e-4, seed, 40), result('minor-dpo', 1e-4, seed, 40), result('dpo', 1e-3, seed, 50), result('minor-dpo', 1e-3, seed, 10)]);
  const claims = judgeClaims(analyze(runs, sft, ['dpo', 'minor-dpo']), [1e-4, 1e-3], ['dpo', 'minor-dpo']);
  const high = claims.find((c) => c.claim === 'high rate: MinorDPO > DPO')!;
  assert.equal(high.outcome, 'contradicted');
  assert.match(high.line, /goes against the robustness claim/);
});

test('report.md holds the setup, the table, the paired comparisons, extra sections, the plots and samples', () => {
  const rows = tableRows([run('dpo', '1e-3', 1e-3, 1, 0.2), run('minor-dpo', '1e-3', 1e-3, 1, 0.6)]);
  const report = buildReport({
    title: 'Comparison `x`',
    setup: ['model: tiny'],
    rows,
    comparisons: ['lr 1e-3: minor-dpo - dpo = +40.0 points'],
    sections: [{ heading: "The paper's claims", lines: ['At the high rate, ... [supported]'] }],
    plots: ['loss.svg', 'accuracy-vs-lr.svg'],
    samples: [{ heading: 'dpo, lr 1e-3', items: [{ prompt: 'Q: 1+1?\nA: ', answer: '1+1=2\n#### 2', correct: true }] }],
    referenceDegeneration: { repeated_ngrams: 0, malformed: 0 },
  });
  assert.match(report, /^# Comparison `x`/);
  assert.match(report, /- model: tiny/);
  assert.match(report, /\| dpo \| 1e-3 \| 1 \| 50\.0 -> 20\.0 \|/);
  assert.match(report, /## Paired comparisons\n\n.*\n\n- lr 1e-3: minor-dpo - dpo = \+40\.0 points/);
  assert.match(report, /## The paper's claims\n\n- At the high rate/);
  assert.match(report, /!\[accuracy-vs-lr\]\(accuracy-vs-lr\.svg\)/);
  assert.match(report, /### dpo, lr 1e-3\n\n {4}Q: 1\+1\?\n {4}A: 1\+1=2\n {4}#### 2\n\ncorrect/);
});
