/**
 * Metrics on a held-out split: the loss and TRL's reward metrics, without gradients. Batch after
 * batch on one thread, or, given `metricsOf` (the trainer passes its data-parallel pool's
 * `metrics`), whole batches spread over several threads: each batch's metrics are the same either
 * way and are averaged in the same order, so the result is too. A reference's log-probs are asked
 * for a group of batches at a time (`referenceLogpsOf`), so a frozen reference model can be spread too.
 */
import * as tf from '@tensorflow/tfjs';
import { collatePreference, collateSequences } from '../data/collate.ts';
import type { PreferenceExample, SftExample } from '../data/datasets.ts';
import { inBatches } from '../data/iterate.ts';
import type { LossParams, PreferenceLoss } from '../loss/index.ts';
import type { CausalLM } from '../model/llama.ts';
import { preferenceObjective, sftObjective } from './objectives.ts';
import type { Share } from './parallel/shares.ts';
import { referenceLogpsOf, type ReferenceSource } from './reference.ts';
import { WeightedMeans } from './weighted-means.ts';

/** The metrics of each share (one whole batch each), in order. */
export type BatchMetrics = (shares: readonly Share[]) => Array<Record<string, number>>;

/** Batches collated and handed to `metricsOf` at a time. */
const GROUP = 32;

/** Means of the batches' metrics, weighted by their examples; `toShares` collates a group of batches. */
function meanOver<T>(examples: readonly T[], batchSize: number, toShares: (batches: T[][]) => Share[], metricsOf: BatchMetrics): Record<string, number> {
  const means = new WeightedMeans();
  for (const group of inBatches(examples, batchSize * GROUP)) {
    const batches = [...inBatches(group, batchSize)]; // the batches inBatches(examples, batchSize) yields
    metricsOf(toShares(batches)).forEach((metrics, i) => means.add(metrics, batches[i]!.length));
  }
  return means.means();
}

export function evaluatePreference(
  model: CausalLM,
  examples: readonly PreferenceExample[],
  options: { loss: PreferenceLoss<any>; params: LossParams; reference?: ReferenceSource; batchSize: number; padTokenId: number; sharePrompt?: boolean; metricsOf?: BatchMetrics },
): Record<string, number> {
  const toShares = (batches: PreferenceExample[][]): Share[] => {
    const parts = batches.map((pairs) => ({ pairs, batch: collatePreference(pairs, { padTokenId: options.padTokenId, sharePrompt: options.sharePrompt }) }));
    const references = options.reference ? referenceLogpsOf(options.reference, parts) : [];
    return parts.map(({ batch }, i) => ({ kind: 'preference', batch, reference: references[i] }));
  };
  const oneThread: BatchMetrics = (shares) =>
    shares.map((share) => {
      if (share.kind !== 'preference') throw new Error('evaluatePreference: an SFT batch');
      return tf.tidy(() => preferenceObjective(model, share.batch, options.loss, options.params, share.reference).metrics);
    });
  return meanOver(examples, options.batchSize, toShares, options.metricsOf ?? oneThread);
}

export function evaluateSft(model: CausalLM, examples: readonly SftExample[], options: { batchSize: number; padTokenId: number; metricsOf?: BatchMetrics }): Record<string, number> {
  const toShares = (batches: SftExample[][]): Share[] =>
    batches.map((rows) => ({ kind: 'sft', batch: collateSequences(rows.map((e) => e.sequence), { padTokenId: options.padTokenId }) }));
  const oneThread: BatchMetrics = (shares) =>
    shares.map((share) => {
      if (share.kind !== 'sft') throw new Error('evaluateSft: a preference batch');
      return tf.tidy(() => sftObjective(model, share.batch).metrics);
    });
  return meanOver(examples, options.batchSize, toShares, options.metricsOf ?? oneThread);
}
