import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { batchesPerEpoch, inBatches, iterateBatches } from '../../core/data/iterate.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('property: every epoch visits each item exactly once, in batches of batchSize (last may be short)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer(), (n, bs, epochs, seed) => {
      const batches = [...iterateBatches(range(n), { batchSize: bs, seed, epochs })];
      assert.equal(batches.length, epochs * batchesPerEpoch(n, bs));
      for (let e = 0; e < epochs; e++) {
        const inEpoch = batches.filter((b) => b.epoch === e);
        inEpoch.slice(0, -1).forEach((b) => assert.equal(b.items.length, bs));
        assert.deepEqual(inEpoch.flatMap((b) => b.items).sort((a, b) => a - b), range(n));
      }
      batches.forEach((b, i) => assert.equal(b.step, i));
    }),
  );
});

test('the order is fixed by the seed and changes between epochs', () => {
  const run = (seed: number) => [...iterateBatches(range(50), { batchSize: 50, seed, epochs: 2 })].map((b) => b.items);
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
  const [first, second] = run(3);
  assert.notDeepEqual(first, second);
  assert.notDeepEqual(first, range(50));
});

test('shuffle: false keeps the file order; dropLast drops the short batch', () => {
  const batches = [...iterateBatches(range(7), { batchSize: 3, seed: 1, shuffle: false, dropLast: true })];
  assert.deepEqual(batches.map((b) => b.items), [[0, 1, 2], [3, 4, 5]]);
});

test('property: resuming at startStep yields exactly the rest of the full run', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 0, max: 20 }), fc.integer(), (n, bs, start, seed) => {
      const full = [...iterateBatches(range(n), { batchSize: bs, seed, epochs: 3 })];
      const resumed = [...iterateBatches(range(n), { batchSize: bs, seed, epochs: 3, startStep: start })];
      assert.deepEqual(resumed, full.slice(start));
    }),
  );
});

test('an endless stream (epochs: Infinity) keeps going; bad batch sizes are rejected', () => {
  const it = iterateBatches(range(3), { batchSize: 2, seed: 0, epochs: Infinity });
  const taken = Array.from({ length: 10 }, () => it.next().value!);
  assert.equal(taken[9]!.epoch, 4);
  assert.throws(() => [...iterateBatches(range(3), { batchSize: 0, seed: 0 })], /batchSize/);
});

describe('inBatches', () => {
  test('yields consecutive slices covering every item once, the last one shorter', () => {
    assert.deepEqual([...inBatches([1, 2, 3, 4, 5], 2)], [[1, 2], [3, 4], [5]]);
    assert.deepEqual([...inBatches([], 3)], []);
  });

  test('a batch size that is not a positive integer is an error, never an endless loop', () => {
    for (const size of [0, -1, 2.5, Number.NaN]) assert.throws(() => [...inBatches([1, 2], size)], /positive integer/);
  });
});
