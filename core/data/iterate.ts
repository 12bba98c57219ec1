/**
 * Batches over epochs: each epoch visits every item once, in an order shuffled from
 * (seed, epoch), so a run is reproducible and can resume at any step without replaying the data.
 */
import { createRng, deriveSeed, shuffled } from './random.ts';

export interface BatchIteratorOptions {
  batchSize: number;
  seed: number;
  /** Number of passes over the data; Infinity for an endless stream (stop by steps). Default 1. */
  epochs?: number;
  /** Shuffle each epoch (default true); false keeps the file order. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Skip the first `startStep` batches (resuming a run). Default 0. */
  startStep?: number;
}

export interface Batch<T> {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based global batch index, counted over all epochs. */
  step: number;
  items: T[];
}

/** Batches per epoch for `count` items. */
export function batchesPerEpoch(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** The order in which epoch `epoch` visits the items' indices. */
export function epochOrder(count: number, seed: number, epoch: number, shuffle = true): number[] {
  const indices = Array.from({ length: count }, (_, i) => i);
  return shuffle ? shuffled(indices, createRng(deriveSeed(seed, epoch))) : indices;
}

/** Yields the batches of `items` epoch after epoch. */
export function* iterateBatches<T>(items: readonly T[], options: BatchIteratorOptions): Generator<Batch<T>> {
  const { batchSize, seed } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer (got ${batchSize})`);
  const epochs = options.epochs ?? 1;
  const perEpoch = batchesPerEpoch(items.length, batchSize, options.dropLast);
  if (perEpoch === 0) return;
  const start = options.startStep ?? 0;
  for (let epoch = Math.floor(start / perEpoch); epoch < epochs; epoch++) {
    const order = epochOrder(items.length, seed, epoch, options.shuffle ?? true);
    for (let b = epoch === Math.floor(start / perEpoch) ? start % perEpoch : 0; b < perEpoch; b++) {
      const batch = order.slice(b * batchSize, (b + 1) * batchSize).map((i) => items[i]!);
      yield { epoch, step: epoch * perEpoch + b, items: batch };
    }
  }
}

/**
 * Consecutive slices of `items` of at most `size` (the last may be shorter), in order: the one
 * batch loop for evaluation, scoring and precomputation. `size` must be a positive integer.
 */
export function* inBatches<T>(items: readonly T[], size: number): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer (got ${size})`);
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
