import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TokenStore } from '../../core/data/token-store.ts';

test('property: stored sequences read back equal, in memory or spilled to the temporary file', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 1, max: 32 }),
      (arrays, memoryTokens, chunkTokens) => {
        const store = new TokenStore(memoryTokens, chunkTokens);
        const stored = arrays.map((ids, i) => store.sequence(ids, i % ids.length));
        stored.forEach((s, i) => {
          assert.deepEqual(s.ids, arrays[i]);
          assert.equal(s.promptLength, i % arrays[i]!.length);
        });
        const total = arrays.reduce((n, a) => n + a.length, 0);
        assert.equal(store.stats.memoryTokens + store.stats.spilledBytes / 4, total);
        if (total > memoryTokens + 2 * Math.max(chunkTokens, 40)) assert.ok(store.stats.spilledBytes > 0, 'spills past memoryTokens');
      },
    ),
    { numRuns: 200, seed: 11 },
  );
});
