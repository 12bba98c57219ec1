/**
 * Seeded randomness for everything that must be reproducible: shuffling, the synthetic task.
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, as in PractRand),
 * seeded through splitmix32 so that nearby seeds give unrelated streams.
 */

/** A source of uniform random numbers in [0, 1). */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A seeded generator; the same seed always gives the same stream. */
export function createRng(seed: number): Rng {
  const init = splitmix32(Math.trunc(seed) ^ Math.trunc(seed / 2 ** 32));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const nextU32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) nextU32();
  const next = () => nextU32() / 2 ** 32;
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}

/** A seed derived from a base seed and a few integers (e.g. the epoch), stable across runs. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = splitmix32(seed)();
  for (const part of parts) h = splitmix32((h ^ Math.imul(part >>> 0, 0x27d4eb2d)) >>> 0)();
  return h;
}

/** A shuffled copy of `items` (Fisher-Yates), deterministic for a given generator state. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
