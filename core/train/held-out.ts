/** Metrics on a held-out split: the loss and TRL's reward metrics, without gradients. */
import * as tf from '@tensorflow/tfjs';
import { collatePreference, collateSequences } from '../data/collate.ts';
import type { PreferenceExample, SftExample } from '../data/datasets.ts';
import { inBatches } from '../data/iterate.ts';
import type { LossParams, PreferenceLoss } from '../loss/index.ts';
import type { CausalLM } from '../model/llama.ts';
import { preferenceObjective, sftObjective } from './objectives.ts';
import type { ReferenceSource } from './reference.ts';
import { WeightedMeans } from './weighted-means.ts';

export function evaluatePreference(
  model: CausalLM,
  examples: readonly PreferenceExample[],
  options: { loss: PreferenceLoss<any>; params: LossParams; reference?: ReferenceSource; batchSize: number; padTokenId: number; sharePrompt?: boolean },
): Record<string, number> {
  const means = new WeightedMeans();
  for (const pairs of inBatches(examples, options.batchSize)) {
    const batch = collatePreference(pairs, { padTokenId: options.padTokenId, sharePrompt: options.sharePrompt });
    const reference = options.reference?.logps(pairs, batch);
    const metrics = tf.tidy(() => preferenceObjective(model, batch, options.loss, options.params, reference).metrics);
    means.add(metrics, pairs.length);
  }
  return means.means();
}

export function evaluateSft(model: CausalLM, examples: readonly SftExample[], options: { batchSize: number; padTokenId: number }): Record<string, number> {
  const means = new WeightedMeans();
  for (const rows of inBatches(examples, options.batchSize)) {
    const batch = collateSequences(rows.map((e) => e.sequence), { padTokenId: options.padTokenId });
    means.add(tf.tidy(() => sftObjective(model, batch).metrics), rows.length);
  }
  return means.means();
}
