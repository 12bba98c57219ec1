/**
 * What a data-parallel thread computes: its share of a microbatch (collated), the objective that
 * share contributes, and how shares are split and weighted. Used alike by the main thread
 * (core/train/parallel/pool.ts) and the workers (worker.ts), so both build the same objective.
 *
 * A microbatch's loss is a mean: over pairs (preference) or over completion tokens (SFT). A share
 * s with n_s of the microbatch's n pairs (tokens) contributes (n_s / n) * mean_s, so the shares'
 * gradients sum to the microbatch's; its metrics, means over the share, are averaged with the
 * same weights. A loss whose pair losses depend on the other pairs (`batchCoupled`) is not split.
 */
import type { MixtureTermConfig, LossSpec } from '../../config/types.ts';
import { configuredLoss } from '../../config/loss.ts';
import type { PreferenceBatch, TokenBatch } from '../../data/batch.ts';
import { createLossRegistry, type LossParams, type PreferenceLoss } from '../../loss/index.ts';
import type { CausalLM } from '../../model/llama.ts';
import type { WorkerSetup } from '../pair-metrics.ts';
import { preferenceObjective, sftObjective, type Objective, type ReferenceLogps } from '../objectives.ts';

/** The objective of a run, as data a worker can rebuild it from. */
export type ObjectiveSpec =
  | { kind: 'sft' }
  | {
      kind: 'preference';
      loss: LossSpec | MixtureTermConfig[];
      plugins: string[];
      /**
       * Functions each worker calls first (module URL and export name, called without arguments):
       * those that registered pair-metric hooks in the main thread (`pairMetricWorkerSetups()`),
       * so that the workers compute those metrics too.
       */
      setup?: WorkerSetup[];
    };

/** One thread's part of a microbatch, collated. */
export type Share =
  | { kind: 'sft'; batch: TokenBatch }
  | { kind: 'preference'; batch: PreferenceBatch; reference?: ReferenceLogps };

/** An objective spec resolved to code: the loss and its params (none for SFT). */
export interface ResolvedObjective {
  spec: ObjectiveSpec;
  loss?: PreferenceLoss<any>;
  params?: LossParams;
}

/** Loads the loss an objective spec names (the plugins too), as the trainer's config loading does. */
export async function resolveObjective(spec: ObjectiveSpec): Promise<ResolvedObjective> {
  if (spec.kind === 'sft') return { spec };
  for (const { module, function: name } of spec.setup ?? []) {
    const exported = ((await import(module)) as Record<string, unknown>)[name];
    if (typeof exported !== 'function') throw new Error(`parallel setup: ${module} exports no function '${name}'`);
    await exported();
  }
  const registry = await createLossRegistry({ plugins: spec.plugins });
  return { spec, ...configuredLoss(spec.loss, registry) };
}

/** Whether the objective may be split over threads (false for batch-coupled losses). */
export function splittable(objective: ResolvedObjective): boolean {
  return objective.loss?.batchCoupled !== true;
}

/** The objective of a share. Call inside a gradient function / tidy. */
export function shareObjective(model: CausalLM, objective: ResolvedObjective, share: Share): Objective {
  if (share.kind === 'sft') return sftObjective(model, share.batch);
  return preferenceObjective(model, share.batch, objective.loss!, objective.params!, share.reference);
}

/** How much a share counts: its pairs (preference) or its completion tokens (SFT). */
export function shareSize(share: Share): number {
  if (share.kind === 'preference') return share.batch.pairs;
  let tokens = 0;
  for (const m of share.batch.completionMask) tokens += m;
  return tokens;
}

/** Splits items into at most `parts` contiguous, non-empty runs whose sizes differ by at most one. */
export function splitEvenly<T>(items: readonly T[], parts: number): T[][] {
  const count = Math.max(1, Math.min(parts, items.length));
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = Math.floor(items.length / count) + (i < items.length % count ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}

/** Completion tokens of a share's chosen answers (preference) or of all its rows (SFT). */
function scoredTokens(share: Share): number {
  if (share.kind === 'sft') return shareSize(share);
  const { tokens, pairs } = share.batch;
  let count = 0;
  for (let i = 0; i < pairs * tokens.seqLen; i++) count += tokens.completionMask[i]!;
  return count;
}

/** Sizes as fractions of their total (equal fractions when the total is 0). */
function fractions(sizes: number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  return total > 0 ? sizes.map((s) => s / total) : sizes.map(() => 1 / sizes.length);
}

/** The weights of the shares' losses: their sizes (pairs, or SFT completion tokens) over the total. */
export function shareWeights(shares: readonly Share[]): number[] {
  return fractions(shares.map(shareSize));
}

/**
 * Averages the shares' metrics into the microbatch's. Every metric is a mean over pairs (SFT:
 * completion tokens) and is weighted like the loss, except TRL's `mean_token_accuracy`, a mean over
 * the scored completion tokens (chosen answers for preference), weighted by those. A metric that
 * only some shares report (a pair-metric hook a worker did not load) is averaged over those.
 */
export function combineMetrics(shares: readonly Share[], metrics: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const sizes = { loss: shares.map(shareSize), tokens: shares.map(scoredTokens) };
  const keys = new Set(metrics.flatMap((m) => Object.keys(m)));
  const out: Record<string, number> = {};
  for (const key of keys) {
    const reporting = metrics.map((m, i) => i).filter((i) => key in metrics[i]!);
    const weights = fractions(reporting.map((i) => (key === 'mean_token_accuracy' ? sizes.tokens : sizes.loss)[i]!));
    out[key] = reporting.reduce((sum, i, j) => sum + metrics[i]![key]! * weights[j]!, 0);
  }
  return out;
}
