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

/** A function a gradient worker calls to register the same hook in its thread (module URL, export name). */
export interface WorkerSetup {
  module: string;
  function: string;
}

const hooks = new Map<PairMetricHook, WorkerSetup | undefined>();

/**
 * Adds a hook to every preference objective from now on; returns a function that removes it.
 * `workerSetup` names the exported function that registers it, which each data-parallel gradient
 * worker (core/train/parallel) calls too; without it only the main thread's share computes the
 * hook's metrics, and they are averaged over that share alone.
 */
export function registerPairMetrics(hook: PairMetricHook, options: { workerSetup?: WorkerSetup } = {}): () => void {
  hooks.set(hook, options.workerSetup);
  return () => hooks.delete(hook);
}

/** The worker setups of the registered hooks that have one. */
export function pairMetricWorkerSetups(): WorkerSetup[] {
  return [...hooks.values()].filter((setup): setup is WorkerSetup => setup !== undefined);
}

/** Whether every registered hook has a worker setup (so data-parallel workers compute all of them). */
export function everyPairMetricHasWorkerSetup(): boolean {
  return [...hooks.values()].every((setup) => setup !== undefined);
}

/** The metrics of every registered hook for one microbatch. */
export function extraPairMetrics(context: PairMetricContext): Record<string, number> {
  const out: Record<string, number> = {};
  for (const hook of hooks.keys()) Object.assign(out, hook(context));
  return out;
}
