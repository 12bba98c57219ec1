/** Evaluation on a held-out split: the loss and TRL's reward metrics, without gradients. */
import * as tf from '@tensorflow/tfjs';
import { collatePreference, collateSequences } from '../data/collate.ts';
import type { PreferenceExample, SftExample } from '../data/datasets.ts';
import type { LossParams, PreferenceLoss } from '../loss/index.ts';
import type { CausalLM } from '../model/llama.ts';
import { preferenceObjective, sftObjective } from './objectives.ts';
import type { ReferenceSource } from './reference.ts';

/** Means of per-batch metrics, weighted by batch size. */
export class MetricMeans {
  private sums: Record<string, number> = {};
  private weight = 0;

  add(metrics: Record<string, number>, weight = 1): void {
    for (const [key, value] of Object.entries(metrics)) this.sums[key] = (this.sums[key] ?? 0) + value * weight;
    this.weight += weight;
  }

  get count(): number {
    return this.weight;
  }

  means(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.sums).map(([key, sum]) => [key, sum / this.weight]));
  }

  /** Serializable state (for checkpoints), and its restoration. */
  toJSON(): { steps: number; sums: Record<string, number> } {
    return { steps: this.weight, sums: { ...this.sums } };
  }

  static from(state: { steps: number; sums: Record<string, number> }): MetricMeans {
    const means = new MetricMeans();
    means.sums = { ...state.sums };
    means.weight = state.steps;
    return means;
  }
}

export function evaluatePreference(
  model: CausalLM,
  examples: readonly PreferenceExample[],
  options: { loss: PreferenceLoss<any>; params: LossParams; reference?: ReferenceSource; batchSize: number; padTokenId: number },
): Record<string, number> {
  const means = new MetricMeans();
  for (let start = 0; start < examples.length; start += options.batchSize) {
    const pairs = examples.slice(start, start + options.batchSize);
    const batch = collatePreference(pairs, { padTokenId: options.padTokenId });
    const reference = options.reference?.logps(pairs, batch);
    const metrics = tf.tidy(() => preferenceObjective(model, batch, options.loss, options.params, reference).metrics);
    means.add(metrics, pairs.length);
  }
  return means.means();
}

export function evaluateSft(model: CausalLM, examples: readonly SftExample[], options: { batchSize: number; padTokenId: number }): Record<string, number> {
  const means = new MetricMeans();
  for (let start = 0; start < examples.length; start += options.batchSize) {
    const slice = examples.slice(start, start + options.batchSize);
    const batch = collateSequences(slice.map((e) => e.sequence), { padTokenId: options.padTokenId });
    means.add(tf.tidy(() => sftObjective(model, batch).metrics), slice.length);
  }
  return means.means();
}
