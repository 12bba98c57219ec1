/**
 * The packing of core/data/shared-prompt.ts, without a model: what each scored token sees in its
 * packed row (by the visibility rule of CausalLM's `hiddenSpans`) is its own sequence's context.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collatePreference, type TokenizedPair } from '../../core/data/collate.ts';
import type { PackedPairs } from '../../core/data/batch.ts';
import { sharedTokenFraction } from '../../core/data/shared-prompt.ts';
import { randomPairs } from '../model/helpers.ts';

/** The (token, position) pairs the query at flat index `source` of a packed batch attends to, by position. */
function visibleContext(packed: PackedPairs, source: number): Array<[number, number]> {
  const row = Math.floor(source / packed.seqLen);
  const i = source % packed.seqLen;
  const [start, end] = [packed.chosenStart[row]!, packed.chosenEnd[row]!];
  const seen: Array<[number, number]> = [];
  for (let j = 0; j <= i; j++) {
    if (i >= end && j >= start && j < end) continue;
    seen.push([packed.inputIds[row * packed.seqLen + j]!, packed.positions[row * packed.seqLen + j]!]);
  }
  return seen.sort((a, b) => a[1] - b[1]);
}

test('every scored token is predicted from exactly its own sequence\'s earlier tokens at their positions (property, 30 random batches)', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const pairs = randomPairs(1 + (seed % 5), seed);
    const batch = collatePreference(pairs, { padTokenId: 0 });
    const packed = batch.packed!;
    const sequences = [...pairs.map((p) => p.chosen), ...pairs.map((p) => p.rejected)];
    // Expected scored tokens per row, in order: (context, target).
    const expected = sequences.map(({ ids, promptLength }) =>
      ids.slice(promptLength).map((target, k) => ({ context: ids.slice(0, promptLength + k).map((id, pos) => [id, pos]), target })),
    );
    const got = sequences.map(() => [] as Array<{ context: Array<[number, number]>; target: number }>);
    packed.sources.forEach((source, n) => got[packed.owners[n]!]!.push({ context: visibleContext(packed, source), target: packed.targets[n]! }));
    assert.deepEqual(got, expected, `seed ${seed}`);
    assert.deepEqual(Array.from(packed.counts), sequences.map((s) => s.ids.length - s.promptLength));
  }
});

test('the packed rows hold each pair\'s tokens once per shared prefix: chosen + rejected - longest common prefix', () => {
  const pairs: TokenizedPair[] = [
    { chosen: { ids: [1, 5, 6, 7, 9], promptLength: 3 }, rejected: { ids: [1, 5, 6, 8], promptLength: 3 } }, // prefix 3
    { chosen: { ids: [1, 4, 7, 7, 2], promptLength: 2 }, rejected: { ids: [1, 4, 7, 8], promptLength: 2 } }, // prompt + 1 common answer token
    { chosen: { ids: [2, 4, 11], promptLength: 2 }, rejected: { ids: [1, 4, 12], promptLength: 2 } }, // prompts differ at once: nothing shared
  ];
  const { packed } = collatePreference(pairs, { padTokenId: 0 });
  assert.deepEqual(Array.from(packed!.chosenStart), [3, 3, 0]);
  assert.deepEqual(Array.from(packed!.chosenEnd), [5, 5, 3]);
  assert.equal(packed!.seqLen, Math.max(5 + 4 - 3, 5 + 4 - 3, 3 + 3));
  assert.deepEqual(Array.from(packed!.inputIds.subarray(0, 6)), [1, 5, 6, 7, 9, 8]);
  assert.deepEqual(Array.from(packed!.positions.subarray(0, 6)), [0, 1, 2, 3, 4, 3]);
  // The first rejected token is predicted by the last shared (prompt) position, not the last chosen one.
  const firstRejected = Array.from(packed!.owners).indexOf(3);
  assert.equal(packed!.sources[firstRejected], 2);
  assert.equal(packed!.targets[firstRejected], 8);
  // What the trainer logs: the shared prefixes' share of the pairs' tokens.
  assert.equal(sharedTokenFraction(pairs), (3 + 3 + 0) / (9 + 9 + 6));
});

test('a batch whose packed rows would not be shorter (nothing shared, equal lengths) runs as two sequences', () => {
  const pairs: TokenizedPair[] = [{ chosen: { ids: [1, 5, 6], promptLength: 2 }, rejected: { ids: [2, 5, 7], promptLength: 2 } }];
  assert.equal(collatePreference(pairs, { padTokenId: 0 }).packed, undefined);
  // One shared token is enough: 5 tokens instead of 6.
  assert.equal(collatePreference([{ ...pairs[0]!, rejected: { ids: [1, 4, 7], promptLength: 2 } }], { padTokenId: 0 }).packed?.seqLen, 5);
});

test('sharePrompt: false collates the two-sequence batch alone', () => {
  const pairs = randomPairs(3, 7);
  const plain = collatePreference(pairs, { padTokenId: 0, sharePrompt: false });
  const shared = collatePreference(pairs, { padTokenId: 0 });
  assert.equal(plain.packed, undefined);
  assert.deepEqual(plain.tokens, shared.tokens);
});
