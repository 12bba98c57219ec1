/**
 * Prompt sharing: the chosen and the rejected sequence of a pair start with the same prompt, so
 * one packed row per pair, `shared prefix + rest of chosen + rest of rejected`, computes the prefix
 * once. For a pair whose two sequences share their first L tokens:
 *
 *   tokens:     p_0 .. p_{L-1} | c_L .. c_{C-1} | r_L .. r_{R-1} | padding
 *   positions:  0   .. L-1     | L   .. C-1     | L   .. R-1     | 0 ...
 *   attention:  causal, except that the rejected tokens do not see the chosen ones
 *
 * so every token sees exactly the tokens and positions it sees in its own sequence, and its
 * log-prob is the two-sequence one (up to float32 rounding). L is the longest common prefix of the
 * two sequences as the collated two-sequence batch holds them (after TRL's tokenization and
 * truncation: nothing else is fed); it covers the prompt, and any identical first answer tokens.
 * A pair whose two prompts differ (possible after truncation or a tokenizer merge at the prompt's
 * end) just shares less; with L = 0 the row is the two sequences side by side. A batch whose packed
 * rows would hold no fewer tokens than its two-sequence rows is not packed (longer attention rows,
 * nothing saved).
 *
 * Each scored token is listed as an explicit (source position, target id) pair: token i of a
 * sequence is predicted by the logits at position i-1 of that sequence, which for the first
 * rejected token after the prefix is the prefix's last position, not the chosen answer's last one.
 */
import type { PackedPairs, PreferenceBatch, TokenBatch } from './batch.ts';

/** Number of leading tokens `a` and `b` have in common, looking at most at their first `limit`. */
export function sharedPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>, limit = Math.min(a.length, b.length)): number {
  let shared = 0;
  while (shared < limit && a[shared] === b[shared]) shared++;
  return shared;
}

/** The fraction of the pairs' tokens (chosen + rejected) that are a shared prefix, computed once when packed. */
export function sharedTokenFraction(pairs: ReadonlyArray<{ chosen: { ids: ArrayLike<number> }; rejected: { ids: ArrayLike<number> } }>): number {
  let shared = 0;
  let total = 0;
  for (const { chosen, rejected } of pairs) {
    shared += sharedPrefixLength(chosen.ids, rejected.ids);
    total += chosen.ids.length + rejected.ids.length;
  }
  return total > 0 ? shared / total : 0;
}

/** Length of a collated row up to its last scored token (later tokens cannot change a scored log-prob); 0 if none. */
function scoredLength(tokens: TokenBatch, row: number): number {
  for (let t = tokens.seqLen - 1; t >= 0; t--) if (tokens.completionMask[row * tokens.seqLen + t]! > 0) return t + 1;
  return 0;
}

/**
 * Packs a collated preference batch (rows 0..B-1 chosen, B..2B-1 rejected) into one row per pair.
 * Returns undefined when the batch scores no token at all (nothing to compute), or when the packed
 * rows would hold no fewer tokens than the two-sequence rows (nothing shared, no padding saved:
 * packing would only make each row's attention longer).
 */
export function packSharedPrompt(batch: PreferenceBatch, padTokenId: number): PackedPairs | undefined {
  const { pairs, tokens } = batch;
  const S = tokens.seqLen;
  const ids = tokens.inputIds;
  const layout = Array.from({ length: pairs }, (_, p) => {
    const chosen = scoredLength(tokens, p);
    const rejected = scoredLength(tokens, pairs + p);
    const shared = sharedPrefixLength(ids.subarray(p * S), ids.subarray((pairs + p) * S), Math.min(chosen, rejected));
    return { chosen, rejected, shared, length: chosen + rejected - shared };
  });
  const seqLen = Math.max(0, ...layout.map((l) => l.length));
  if (seqLen === 0 || pairs * seqLen >= tokens.rows * S) return undefined;
  const inputIds = new Int32Array(pairs * seqLen).fill(padTokenId);
  const positions = new Int32Array(pairs * seqLen);
  const chosenStart = new Int32Array(pairs);
  const chosenEnd = new Int32Array(pairs);
  const sources: number[] = [];
  const targets: number[] = [];
  const owners: number[] = [];
  const counts = new Float32Array(2 * pairs);
  layout.forEach(({ chosen, rejected, shared }, p) => {
    const row = p * seqLen;
    // The chosen sequence sits at its own positions: packed index = position.
    for (let t = 0; t < chosen; t++) {
      inputIds[row + t] = ids[p * S + t]!;
      positions[row + t] = t;
    }
    chosenStart[p] = shared;
    chosenEnd[p] = chosen;
    // Position t of the rejected sequence: in the prefix if t < shared, else after the chosen part.
    const rejectedAt = (t: number) => (t < shared ? t : t + chosen - shared);
    for (let t = shared; t < rejected; t++) {
      inputIds[row + rejectedAt(t)] = ids[(pairs + p) * S + t]!;
      positions[row + rejectedAt(t)] = t;
    }
    const score = (owner: number, at: (t: number) => number) => {
      for (let t = 0; t < S; t++) {
        if (!(tokens.completionMask[owner * S + t]! > 0)) continue;
        counts[owner]! += 1;
        if (t === 0) continue; // nothing predicts position 0 (the two-sequence path gives it log-prob 0)
        sources.push(row + at(t - 1));
        targets.push(ids[owner * S + t]!);
        owners.push(owner);
      }
    };
    score(p, (t) => t);
    score(pairs + p, rejectedAt);
  });
  if (sources.length === 0) return undefined;
  return {
    pairs, seqLen, inputIds, positions, chosenStart, chosenEnd,
    sources: Int32Array.from(sources), targets: Int32Array.from(targets), owners: Int32Array.from(owners), counts,
  };
}
