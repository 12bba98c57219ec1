/**
 * A training stage supplies what the loop needs and nothing else: its training and held-out
 * examples, the objective of a microbatch, the held-out metrics and how many tokens a microbatch
 * holds. `sft` trains on completions by NLL; `preference` on pairs with any registered loss.
 */
import path from 'node:path';
import type { LoadedConfig } from '../config/load.ts';
import { configuredLoss } from '../config/loss.ts';
import type { PrefoptConfig } from '../config/types.ts';
import { collatePreference, collateSequences } from '../data/collate.ts';
import { sharedTokenFraction } from '../data/shared-prompt.ts';
import { formatLoadStats, loadOptionsFrom, loadPreferenceDataset, loadSftDataset, type PreferenceExample, type SftExample } from '../data/datasets.ts';
import type { HfTokenizer } from '../model/hf-tokenizer.ts';
import type { CausalLM } from '../model/llama.ts';
import { evaluatePreference, evaluateSft, type BatchMetrics } from './held-out.ts';
import { nonFiniteLossPairs, preferenceObjective, sftObjective, type Objective } from './objectives.ts';
import { everyPairMetricHasWorkerSetup, pairMetricWorkerSetups } from './pair-metrics.ts';
import type { GradientPool } from './parallel/pool.ts';
import type { ObjectiveSpec, Share } from './parallel/shares.ts';
import { adapterFreeReference, frozenReference, loadReferenceModel, precomputedReference, referenceLogpsOf, type ReferenceSource } from './reference.ts';
import { cloneModel } from './start-model.ts';

export interface TrainingStage {
  /** Training examples (pairs or SFT rows); the loop batches them by index. */
  readonly exampleCount: number;
  /** The objective of the microbatch made of these training examples (indices into the set). */
  objective(indices: readonly number[]): () => Objective;
  /**
   * The microbatch made of these parts as data for the data-parallel threads (core/train/parallel),
   * one share per part; a frozen reference model computes the parts' log-probs on those threads too.
   */
  shares(parts: ReadonlyArray<readonly number[]>): Share[];
  /** Tokens (prompt + completion, no padding) the microbatch feeds the model. */
  tokenCount(indices: readonly number[]): number;
  /** Held-out metrics (without the `eval_` prefix); empty when there is no held-out split. */
  evaluate(batchSize: number): Record<string, number>;
  /**
   * After a step whose loss or gradient is not finite: the loss and the training records (file:line)
   * on which the loss itself is not finite (its value or its gradient with respect to the
   * log-probs), or undefined when the loss is finite on the microbatch.
   */
  nonFiniteLoss(indices: readonly number[]): string | undefined;
  dispose(): void;
}

interface StageContext {
  model: CausalLM;
  tokenizer: HfTokenizer;
  log: (line: string) => void;
  /**
   * Starts (once) and returns the run's data-parallel threads (for `objectiveSpec(config)`): they
   * also precompute reference log-probs and evaluate. A stage calls it after its data loaded, so
   * that a bad data file is reported before threads are started.
   */
  startPool: () => Promise<GradientPool | undefined>;
}

/** The objective of a run as data a gradient worker rebuilds it from. */
export function objectiveSpec(config: PrefoptConfig): ObjectiveSpec {
  return config.stage === 'sft' ? { kind: 'sft' } : { kind: 'preference', loss: config.loss, plugins: config.plugins, setup: pairMetricWorkerSetups() };
}

/**
 * Held-out metrics on the pool's threads, when it has workers and every pair-metric hook runs in
 * them (a hook without a worker setup would be missing from the workers' batches); else one thread.
 */
function poolMetrics(pool: GradientPool | undefined): BatchMetrics | undefined {
  return pool && pool.threads > 1 && everyPairMetricHasWorkerSetup() ? (shares) => pool.metrics(shares) : undefined;
}

export async function loadStage(loaded: LoadedConfig, context: StageContext): Promise<TrainingStage> {
  return loaded.config.stage === 'sft' ? sftStage(loaded.config, context) : preferenceStage(loaded, context);
}

function dataOptions(config: PrefoptConfig) {
  return loadOptionsFrom(config.data);
}

async function sftStage(config: PrefoptConfig, { model, tokenizer, log, startPool }: StageContext): Promise<TrainingStage> {
  const train = await loadSftDataset(config.data.train, tokenizer, dataOptions(config));
  log(formatLoadStats(train.stats));
  const held = config.data.eval ? await loadSftDataset(config.data.eval, tokenizer, dataOptions(config)) : undefined;
  if (held) log(formatLoadStats(held.stats));
  const pool = await startPool();
  const rows = (indices: readonly number[]): SftExample[] => indices.map((i) => train.examples[i]!);
  const share = (indices: readonly number[]): Extract<Share, { kind: 'sft' }> => ({
    kind: 'sft',
    batch: collateSequences(rows(indices).map((e) => e.sequence), { padTokenId: tokenizer.padTokenId }),
  });
  return {
    exampleCount: train.examples.length,
    objective(indices) {
      const { batch } = share(indices);
      return () => sftObjective(model, batch);
    },
    shares: (parts) => parts.map(share),
    tokenCount: (indices) => rows(indices).reduce((sum, e) => sum + e.sequence.ids.length, 0),
    evaluate: (batchSize) => (held?.examples.length ? evaluateSft(model, held.examples, { batchSize, padTokenId: tokenizer.padTokenId, metricsOf: poolMetrics(pool) }) : {}),
    nonFiniteLoss: () => undefined,
    dispose() {},
  };
}

/** The stage and loss for the start-up line, e.g. `stage preference, loss minor-dpo {"beta":0.1}`. */
export function describeStage(config: PrefoptConfig): string {
  if (config.stage === 'sft') return 'stage sft';
  const specs = Array.isArray(config.loss) ? config.loss : [config.loss];
  return `stage preference, loss ${specs.map(({ name, ...rest }) => `${name}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`).join(' + ')}`;
}

async function preferenceStage(loaded: LoadedConfig, { model, tokenizer, log, startPool }: StageContext): Promise<TrainingStage> {
  const { config } = loaded;
  const { loss, params } = configuredLoss(config.loss, loaded.registry);
  const train = await loadPreferenceDataset(config.data.train, tokenizer, dataOptions(config));
  log(formatLoadStats(train.stats));
  if (config.train.sharePrompt) {
    const percent = Math.round(100 * sharedTokenFraction(train.examples));
    log(`prompt sharing (train.sharePrompt): ${percent}% of the training pairs' tokens are a prefix their chosen and rejected answers share, computed once per pair`);
  }
  const held = config.data.eval ? await loadPreferenceDataset(config.data.eval, tokenizer, dataOptions(config)) : undefined;
  if (held) log(formatLoadStats(held.stats));
  const pool = await startPool();
  const source = loss.requiresReference ? await referenceFor(config, model, tokenizer, [...train.examples, ...(held?.examples ?? [])], log, pool) : undefined;
  const reference = source && pool ? pool.spreadReference(source) : source;
  const pairs = (indices: readonly number[]): PreferenceExample[] => indices.map((i) => train.examples[i]!);
  const shares = (parts: ReadonlyArray<readonly number[]>): Array<Extract<Share, { kind: 'preference' }>> => {
    const collated = parts.map((indices) => {
      const items = pairs(indices);
      return { pairs: items, batch: collatePreference(items, { padTokenId: tokenizer.padTokenId, sharePrompt: config.train.sharePrompt }) };
    });
    const references = reference ? referenceLogpsOf(reference, collated) : [];
    return collated.map(({ batch }, i) => ({ kind: 'preference', batch, reference: references[i] }));
  };
  const share = (indices: readonly number[]) => shares([indices])[0]!;
  const recordOf = (pair: PreferenceExample) => `${pair.source.file}:${pair.source.line}`;
  return {
    exampleCount: train.examples.length,
    objective(indices) {
      const { batch, reference: referenceLogps } = share(indices);
      const pairName = (i: number) => `the pair at ${recordOf(train.examples[indices[i]!]!)}`;
      return () => preferenceObjective(model, batch, loss, params, referenceLogps, pairName);
    },
    shares,
    tokenCount: (indices) => pairs(indices).reduce((sum, pair) => sum + pair.chosen.ids.length + pair.rejected.ids.length, 0),
    evaluate: (batchSize) =>
      held?.examples.length ? evaluatePreference(model, held.examples, { loss, params, reference, batchSize, padTokenId: tokenizer.padTokenId, sharePrompt: config.train.sharePrompt, metricsOf: poolMetrics(pool) }) : {},
    nonFiniteLoss(indices) {
      const { batch, reference: referenceLogps } = share(indices);
      const found = nonFiniteLossPairs(model, batch, loss, params, referenceLogps);
      if (found.length === 0) return undefined;
      const shown = found.slice(0, 3).map(({ index, what }) => `${recordOf(train.examples[indices[index]!]!)} (${what})`);
      const more = found.length > shown.length ? ` and ${found.length - shown.length} more` : '';
      return `loss '${loss.name}' is not finite on the pair at ${shown.join(', ')}${more}`;
    },
    dispose: () => reference?.dispose(),
  };
}

/**
 * The reference log-probs: cached once before training (`train.precomputeReference`, in the run
 * directory's reference-cache/), or a reference model run per batch: `reference.path`, else under
 * LoRA the policy with adapters off, else a frozen copy of the starting policy. The precompute runs
 * on the pool's threads when there is one.
 */
async function referenceFor(
  config: PrefoptConfig,
  model: CausalLM,
  tokenizer: HfTokenizer,
  pairs: PreferenceExample[],
  log: (line: string) => void,
  pool: GradientPool | undefined,
): Promise<ReferenceSource> {
  const own = config.reference.path !== undefined ? await loadReferenceModel(config.reference.path, model) : undefined;
  if (!config.train.precomputeReference) {
    if (own) return frozenReference(own);
    return model.trainable !== model.params ? adapterFreeReference(model) : frozenReference(cloneModel(model));
  }
  try {
    // Before training, LoRA's B matrices are zero: the policy is still its base model.
    return await precomputedReference(own ?? model, pairs, {
      batchSize: config.train.evalBatchSize ?? config.train.batchSize,
      padTokenId: tokenizer.padTokenId,
      sharePrompt: config.train.sharePrompt,
      cacheFile: (key) => path.join(config.output, 'reference-cache', `ref-${key.slice(0, 16)}.json`),
      log,
      logpsOf: pool && pool.threads > 1 ? (m, batches) => pool.logps(batches, m) : undefined,
    });
  } finally {
    own?.dispose();
  }
}
