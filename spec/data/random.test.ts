import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { createRng, deriveSeed, shuffled } from '../../core/data/random.ts';

test('the same seed gives the same stream, different seeds different streams', () => {
  const a = createRng(42), b = createRng(42), c = createRng(43);
  const sa = Array.from({ length: 20 }, () => a.next());
  assert.deepEqual(sa, Array.from({ length: 20 }, () => b.next()));
  assert.notDeepEqual(sa, Array.from({ length: 20 }, () => c.next()));
});

test('next() is in [0, 1) and roughly uniform', () => {
  const rng = createRng(7);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 20000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1);
    bins[Math.floor(x * 10)] += 1;
  }
  for (const count of bins) assert.ok(count > 1800 && count < 2200, `bin count ${count}`);
});

test('property: int(min, max) stays within [min, max] inclusive and hits both ends', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 5 }), (seed, min, span) => {
      const rng = createRng(seed);
      const seen = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const v = rng.int(min, min + span);
        assert.ok(Number.isInteger(v) && v >= min && v <= min + span);
        seen.add(v);
      }
      assert.equal(seen.size, span + 1);
    }),
  );
});

test('property: shuffled() returns a permutation and leaves its input alone', () => {
  fc.assert(
    fc.property(fc.array(fc.integer()), fc.integer(), (items, seed) => {
      const copy = items.slice();
      const out = shuffled(items, createRng(seed));
      assert.deepEqual(items, copy);
      assert.deepEqual([...out].sort((x, y) => x - y), [...items].sort((x, y) => x - y));
    }),
  );
});

test('deriveSeed is stable and separates its parts', () => {
  assert.equal(deriveSeed(1, 2), deriveSeed(1, 2));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(1, 3));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 2));
});
