/**
 * Work on whole batches that the pool (pool.ts) spreads over its threads without splitting a
 * batch: the reference log-probs of a collated preference batch (`batchLogps`, as reference
 * precompute runs it) and the metrics of a held-out batch (its objective's metrics, as held-out
 * evaluation computes them). The main thread and the workers call these same functions on the same
 * batches, so a batch's result is bitwise the same whichever thread computed it.
 */
import * as tf from '@tensorflow/tfjs';
import type { PreferenceBatch } from '../../data/batch.ts';
import type { CausalLM } from '../../model/llama.ts';
import type { ReferenceLogps } from '../objectives.ts';
import { batchLogps } from '../reference.ts';
import { shareObjective, type ResolvedObjective, type Share } from './shares.ts';

export const batchWork = {
  /** Summed completion log-probs of a preference batch's chosen and rejected answers. */
  logps: (model: CausalLM, _objective: ResolvedObjective, batch: PreferenceBatch): ReferenceLogps => batchLogps(model, batch),
  /** The objective's metrics of a batch (held-out evaluation: no gradient). */
  metrics: (model: CausalLM, objective: ResolvedObjective, share: Share): Record<string, number> =>
    tf.tidy(() => shareObjective(model, objective, share).metrics),
};

export type BatchWork = typeof batchWork;
export type BatchWorkKind = keyof BatchWork;
