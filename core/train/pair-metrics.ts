/**
 * Extra per-batch metrics of the preference objective, added by whoever needs them (an experiment,
 * an analysis) rather than computed for every run. A hook sees the batch's log-probs, the loss and
 * its params inside the objective's tf.tidy and returns plain numbers, logged like the built-in
 * metrics (training lines as is, evaluations as `eval_<name>`).
 */
import type { LossParams, PairLogps, PreferenceLoss } from '../loss/index.ts';

export interface PairMetricContext {
  inputs: PairLogps;
  loss: PreferenceLoss<any>;
  params: LossParams;
}

/** Returns metrics of one microbatch; tensors it creates are disposed by the caller's tidy. */
export type PairMetricHook = (context: PairMetricContext) => Record<string, number>;

const hooks = new Set<PairMetricHook>();

/** Adds a hook to every preference objective from now on; returns a function that removes it. */
export function registerPairMetrics(hook: PairMetricHook): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** The metrics of every registered hook for one microbatch. */
export function extraPairMetrics(context: PairMetricContext): Record<string, number> {
  const out: Record<string, number> = {};
  for (const hook of hooks) Object.assign(out, hook(context));
  return out;
}
