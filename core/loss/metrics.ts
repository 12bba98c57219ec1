/** Batch reduction and the metrics logged under TRL's names. */
import { tf } from './tf.ts';
import type { PairLogps, PairLossOutput } from './contract.ts';

/** The batch loss: the mean of the per-pair losses. */
export function reduceLoss(output: PairLossOutput): tf.Scalar {
  return tf.mean(output.losses);
}

/** Metric names as TRL's DPOTrainer logs them. */
export const METRIC_NAMES = [
  'loss',
  'rewards/chosen',
  'rewards/rejected',
  'rewards/accuracies',
  'rewards/margins',
  'logps/chosen',
  'logps/rejected',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type PreferenceMetrics = Record<MetricName, number>;

/**
 * Batch means of the TRL-named metrics, and of the loss's own metrics (`output.metrics`, under
 * their names). `rewards/accuracies` counts strict wins (chosen reward > rejected reward), as TRL
 * does.
 */
export function preferenceMetrics(inputs: PairLogps, output: PairLossOutput): PreferenceMetrics & Record<string, number> {
  const extra = Object.entries(output.metrics ?? {});
  const values = tf.tidy(() => {
    const { chosenRewards, rejectedRewards } = output;
    return tf.stack([
      tf.mean(output.losses),
      tf.mean(chosenRewards),
      tf.mean(rejectedRewards),
      tf.mean(tf.cast(tf.greater(chosenRewards, rejectedRewards), 'float32')),
      tf.mean(tf.sub(chosenRewards, rejectedRewards)),
      tf.mean(inputs.policyChosen),
      tf.mean(inputs.policyRejected),
      ...extra.map(([, tensor]) => tf.mean(tensor)),
    ]).dataSync();
  });
  const names = [...METRIC_NAMES, ...extra.map(([name]) => name)];
  return Object.fromEntries(names.map((name, i) => [name, values[i]!])) as PreferenceMetrics & Record<string, number>;
}
