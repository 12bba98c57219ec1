/** The comparison statistics against cases computed by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanSe, pairedBootstrap, pairedDifference, percentile, signTest } from '../../arena/stats/index.ts';

const close = (actual: number, expected: number, tol = 1e-12) => assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

test('meanSe of [1, 2, 3]: mean 2, sd 1, se 1/sqrt(3); one value has se 0; NaN values are left out', () => {
  const s = meanSe([1, 2, 3]);
  close(s.mean, 2);
  close(s.sd, 1);
  close(s.se, 1 / Math.sqrt(3));
  assert.equal(s.n, 3);
  assert.deepEqual(meanSe([0.4]), { mean: 0.4, sd: 0, se: 0, n: 1 });
  close(meanSe([2, Number.NaN, 4]).mean, 3);
  assert.ok(Number.isNaN(meanSe([]).mean));
});

test('meanSe of [0.40, 0.45, 0.35, 0.40]: sd = sqrt(0.005/3), se = sd/2', () => {
  const s = meanSe([0.4, 0.45, 0.35, 0.4]);
  close(s.mean, 0.4);
  close(s.sd, Math.sqrt(0.005 / 3));
  close(s.se, Math.sqrt(0.005 / 3) / 2);
});

test('sign test: 9 wins of 10 gives p = 2 * (C(10,9) + C(10,10)) / 2^10 = 22/1024; 5:5 gives 1; 0:0 gives 1', () => {
  close(signTest(9, 1), 22 / 1024, 1e-12);
  close(signTest(1, 9), 22 / 1024, 1e-12);
  assert.equal(signTest(5, 5), 1);
  assert.equal(signTest(0, 0), 1);
  close(signTest(3, 0), 2 / 8, 1e-12);
});

test('percentile is nearest-rank: 2.5% and 97.5% of 1..40 are 1 and 39', () => {
  const values = Array.from({ length: 40 }, (_, i) => i + 1);
  assert.equal(percentile(values, 0.025), 1);
  assert.equal(percentile(values, 0.975), 39);
});

test('bootstrap: a constant difference has a zero-width interval at that difference (clear), no difference an interval [0, 0] (not clear)', () => {
  const zeros = [[0, 0, 0], [0, 0, 0]];
  const ones = [[1, 1, 1], [1, 1, 1]];
  const d = pairedDifference(zeros, ones);
  assert.deepEqual([d.mean, d.low, d.high], [1, 1, 1]);
  assert.equal(d.clear, true);
  assert.deepEqual([d.bWins, d.aWins], [6, 0]);
  close(d.signTestP, 2 / 64);
  const same = pairedDifference(ones, ones);
  assert.deepEqual([same.mean, same.low, same.high, same.clear, same.signTestP], [0, 0, 0, false, 1]);
});

test('bootstrap of one seed, two questions with differences 0 and 1: resampled means are 0, 1/2, 1 with chances 1/4, 1/2, 1/4, so the 95% interval is [0, 1]', () => {
  const a = [[0, 0]], b = [[0, 1]];
  const boot = pairedBootstrap(a, b, { resamples: 4000, seed: 7 });
  close(boot.mean, 0.5);
  assert.deepEqual([boot.low, boot.high], [0, 1]);
  assert.equal(pairedDifference(a, b).clear, false, 'the interval contains 0');
});

test('bootstrap is seeded (same seed, same interval) and pairs by position: swapping a and b negates the difference', () => {
  const a = [[1, 0, 1, 1, 0, 0, 1, 0], [1, 1, 0, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 1, 1, 0]];
  const b = [[1, 1, 1, 1, 0, 1, 1, 0], [1, 1, 1, 1, 0, 0, 1, 0], [1, 0, 1, 1, 1, 1, 1, 0]];
  const one = pairedBootstrap(a, b, { seed: 3 });
  assert.deepEqual(pairedBootstrap(a, b, { seed: 3 }), one);
  close(one.mean, 6 / 24); // +2 correct answers per seed
  const swapped = pairedBootstrap(b, a, { seed: 3 });
  close(swapped.mean, -one.mean);
  assert.ok(one.low <= one.mean && one.mean <= one.high);
});

test('unpaired inputs (different seeds or questions) are refused', () => {
  assert.throws(() => pairedBootstrap([[1, 0]], [[1, 0, 1]]), /same seeds and questions/);
  assert.throws(() => pairedBootstrap([[1]], [[1], [0]]), /same seeds and questions/);
});
