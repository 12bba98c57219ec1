/** A pair-metric hook for spec/train/parallel.test.ts, registered in the main thread and, by name, in gradient workers. */
import * as tf from '@tensorflow/tfjs';
import { registerPairMetrics } from '../../core/train/pair-metrics.ts';

let unregister: (() => void) | undefined;

/** Registers `test/chosen_mean` (the batch mean of the chosen log-probs), once per thread. */
export function registerChosenMean(): () => void {
  unregister ??= registerPairMetrics(({ inputs }) => ({ 'test/chosen_mean': tf.tidy(() => tf.mean(inputs.policyChosen).dataSync()[0]!) }), {
    workerSetup: { module: import.meta.url, function: 'registerChosenMean' },
  });
  return () => {
    unregister?.();
    unregister = undefined;
  };
}
