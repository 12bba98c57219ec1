/**
 * Reference log-probs for losses that compare the policy with its starting point. Sources:
 * a frozen copy of the starting policy (or a model from `reference.path`), run on each batch;
 * under LoRA the policy itself with its adapters switched off (the base model: no second copy of
 * the weights); or every pair's log-probs computed once before training and cached in the run
 * directory, keyed by a hash of the tokenized dataset and of the model's weights (a changed
 * dataset, tokenizer, maxLength or model gets a new cache).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { collatePreference, type TokenizedPair } from '../data/collate.ts';
import type { PreferenceBatch } from '../data/batch.ts';
import { inBatches } from '../data/iterate.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { UserError } from '../errors.ts';
import { loadModelDir, weightsBytes } from '../model/checkpoint.ts';
import type { CausalLM } from '../model/llama.ts';
import { preferenceLogprobs } from '../model/logprobs.ts';
import type { ReferenceLogps } from './objectives.ts';

export interface ReferenceSource {
  /** Reference log-probs of `pairs`, collated as `batch`. */
  logps(pairs: readonly TokenizedPair[], batch: PreferenceBatch): ReferenceLogps;
  /** The frozen model `logps` runs, when it runs one (a data-parallel pool can run it on its threads). */
  readonly model?: CausalLM;
  /** `logps` of several batches at once, equal to calling it batch after batch (e.g. spread over threads). */
  many?(parts: readonly ReferenceBatch[]): ReferenceLogps[];
  dispose(): void;
}

/** Pairs and their collated batch. */
export interface ReferenceBatch {
  pairs: readonly TokenizedPair[];
  batch: PreferenceBatch;
}

/** The reference log-probs of several batches: `source.many` where it has it, else batch after batch. */
export function referenceLogpsOf(source: ReferenceSource, parts: readonly ReferenceBatch[]): ReferenceLogps[] {
  return source.many ? source.many(parts) : parts.map(({ pairs, batch }) => source.logps(pairs, batch));
}

/** Summed completion log-probs of a collated preference batch under `model`, without gradients. */
export function batchLogps(model: CausalLM, batch: PreferenceBatch): ReferenceLogps {
  const sums = tf.tidy(() => preferenceLogprobs(model, batch).sums.dataSync() as Float32Array);
  return { chosen: sums.slice(0, batch.pairs), rejected: sums.slice(batch.pairs) };
}

/** The frozen starting policy, run on every batch. */
export function frozenReference(model: CausalLM): ReferenceSource {
  return { model, logps: (_pairs, batch) => batchLogps(model, batch), dispose: () => model.dispose() };
}

/** The base model under LoRA: the policy with its adapters switched off (no copy of the weights; dispose keeps the model). */
export function adapterFreeReference(model: CausalLM): ReferenceSource {
  return { logps: (_pairs, batch) => model.withAdaptersDisabled(() => batchLogps(model, batch)), dispose: () => {} };
}

/** A reference model from its own directory; its vocabulary must be the policy's. */
export async function loadReferenceModel(dir: string, policy: CausalLM): Promise<CausalLM> {
  const { model } = await loadModelDir(dir);
  if (model.config.vocab_size !== policy.config.vocab_size) {
    model.dispose();
    throw new UserError(`reference.path ${dir}: vocabulary of ${model.config.vocab_size} tokens, but the policy has ${policy.config.vocab_size}; the reference must share the policy's tokenizer`);
  }
  return model;
}

/** A cache key from the tokenized pairs and the model's weights. */
export async function referenceKey(pairs: readonly TokenizedPair[], model: CausalLM): Promise<string> {
  const hash = createHash('sha256');
  for (const { chosen, rejected } of pairs) {
    hash.update(JSON.stringify([chosen.ids, chosen.promptLength, rejected.ids, rejected.promptLength]));
  }
  hash.update(await weightsBytes(model));
  return hash.digest('hex');
}

interface CacheFile {
  key: string;
  chosen: number[];
  rejected: number[];
}

/** Log-probs of each collated batch under `model`, in order: `batchLogps` batch after batch, or spread over threads. */
export type ManyBatchLogps = (model: CausalLM, batches: readonly PreferenceBatch[]) => ReferenceLogps[];

/** Batches collated and handed to `logpsOf` at a time. */
const GROUP = 32;

/**
 * Reference log-probs of every pair, computed once with `model` in batches of `batchSize` and
 * cached in `cacheFile(key)`; a cache with the same key is read instead of recomputed. `logpsOf`
 * computes the batches (default: one thread; the trainer passes its data-parallel pool's `logps`,
 * which gives each batch the same log-probs).
 */
export async function precomputedReference(
  model: CausalLM,
  pairs: readonly TokenizedPair[],
  options: { batchSize: number; padTokenId: number; sharePrompt?: boolean; cacheFile: (key: string) => string; log: (line: string) => void; logpsOf?: ManyBatchLogps },
): Promise<ReferenceSource> {
  const key = await referenceKey(pairs, model);
  const file = options.cacheFile(key);
  let cache: CacheFile | undefined;
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
    if (parsed.key === key && parsed.chosen.length === pairs.length) cache = parsed;
  } catch {
    // no usable cache: compute it
  }
  if (cache) {
    options.log(`reference log-probs: read ${pairs.length} pairs from ${file}`);
  } else {
    const chosen: number[] = [];
    const rejected: number[] = [];
    const logpsOf = options.logpsOf ?? ((m, batches) => batches.map((batch) => batchLogps(m, batch)));
    for (const group of inBatches(pairs, options.batchSize * GROUP)) {
      const batches = [...inBatches(group, options.batchSize)].map((slice) => collatePreference(slice, { padTokenId: options.padTokenId, sharePrompt: options.sharePrompt }));
      for (const result of logpsOf(model, batches)) {
        chosen.push(...result.chosen);
        rejected.push(...result.rejected);
      }
    }
    cache = { key, chosen, rejected };
    try {
      await writeFileAtomic(file, JSON.stringify(cache));
      options.log(`reference log-probs: computed for ${pairs.length} pairs, cached in ${file}`);
    } catch (error) {
      options.log(`reference log-probs: computed for ${pairs.length} pairs (cache not written: ${(error as Error).message})`);
    }
  }
  const index = new Map(pairs.map((pair, i) => [pair, i]));
  const { chosen, rejected } = cache;
  return {
    logps(batchPairs) {
      const at = batchPairs.map((pair) => {
        const i = index.get(pair);
        if (i === undefined) throw new Error('precomputed reference: a pair outside the precomputed dataset');
        return i;
      });
      return { chosen: Float32Array.from(at, (i) => chosen[i]!), rejected: Float32Array.from(at, (i) => rejected[i]!) };
    },
    dispose() {},
  };
}
