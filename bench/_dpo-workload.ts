/**
 * The DPO training step of issue 13, built from prefopt's own training code path
 * (`preferenceObjective` + `computeGradients` + global-norm clipping + `AdamW`, as `prefopt train`
 * runs it): 8 pairs (16 sequences) x 128 tokens, prompt 32 tokens, a Llama with vocab 512,
 * hidden 256, 4 layers, 4 heads (4 KV heads), intermediate 688, reference log-probs computed once
 * and cached. Shared by bench/dpo-step.ts and bench/gpu-check.ts; bench/dpo_step_torch.py is the
 * same step in PyTorch.
 */
import { createRng } from '../core/data/random.ts';
import type { TokenizedPair } from '../core/data/collate.ts';
import { collatePreference } from '../core/data/collate.ts';
import type { PreferenceBatch } from '../core/data/batch.ts';
import { createLossRegistry, resolveParams, type LossParams, type PreferenceLoss } from '../core/loss/index.ts';
import { tinyConfig, type LlamaConfig } from '../core/model/config.ts';
import { CausalLM } from '../core/model/llama.ts';
import { clipByGlobalNorm, computeGradients, globalNorm, type MicrobatchGradients } from '../core/train/gradients.ts';
import { preferenceObjective, type ReferenceLogps } from '../core/train/objectives.ts';
import { AdamW } from '../core/train/optimizer.ts';
import { GradientPool } from '../core/train/parallel/pool.ts';
import type { ObjectiveSpec, Share } from '../core/train/parallel/shares.ts';
import { batchLogps } from '../core/train/reference.ts';

export const SHAPE = { pairs: 8, seqLen: 128, promptLength: 32, vocab: 512, hidden: 256, layers: 4, heads: 4, kvHeads: 4, intermediate: 688 } as const;

export function workloadConfig(): LlamaConfig {
  return tinyConfig({
    vocab_size: SHAPE.vocab, hidden_size: SHAPE.hidden, intermediate_size: SHAPE.intermediate, num_hidden_layers: SHAPE.layers,
    num_attention_heads: SHAPE.heads, num_key_value_heads: SHAPE.kvHeads, max_position_embeddings: SHAPE.seqLen, tie_word_embeddings: false,
  });
}

/** Tokens a step trains on: 2 * pairs * seqLen (prompt tokens included, as the forward pass computes them). */
export const STEP_TOKENS = 2 * SHAPE.pairs * SHAPE.seqLen;

/**
 * Model FLOPs of one training step (forward + backward = 3 x forward): every projection and the LM
 * head (2 * in * out per token), attention scores and values (2 * 2 * T * head_dim per token and
 * head, full T x T as computed). Elementwise work, RoPE and the embedding lookup are not counted,
 * so this is the work PyTorch and prefopt must both do (the MFU convention of the PaLM paper).
 */
export function stepFlops(): number {
  const { hidden, layers, heads, kvHeads, intermediate, vocab, seqLen } = SHAPE;
  const headDim = hidden / heads;
  const perTokenLayer = 2 * (hidden * heads * headDim + 2 * hidden * kvHeads * headDim + heads * headDim * hidden + 3 * hidden * intermediate) + 2 * 2 * seqLen * headDim * heads;
  const forward = STEP_TOKENS * (layers * perTokenLayer + 2 * hidden * vocab);
  return 3 * forward;
}

/** The step's 8 pairs: shared 32-token prompts, 96-token chosen and rejected answers (seeded). */
export function workloadPairs(seed = 1): TokenizedPair[] {
  const rng = createRng(seed);
  const tokens = (n: number) => Array.from({ length: n }, () => rng.int(3, SHAPE.vocab - 1));
  return Array.from({ length: SHAPE.pairs }, () => {
    const prompt = [1, ...tokens(SHAPE.promptLength - 1)];
    const answer = SHAPE.seqLen - SHAPE.promptLength;
    return {
      chosen: { ids: [...prompt, ...tokens(answer)], promptLength: SHAPE.promptLength },
      rejected: { ids: [...prompt, ...tokens(answer)], promptLength: SHAPE.promptLength },
    };
  });
}

export interface Workload {
  model: CausalLM;
  pairs: TokenizedPair[];
  batch: PreferenceBatch;
  reference: ReferenceLogps;
  loss: PreferenceLoss<any>;
  params: LossParams;
  optimizer: AdamW;
  dispose(): void;
}

/**
 * Model, data, cached reference log-probs (of the starting model), the dpo loss and AdamW; by
 * default the step's model and pairs (bench/shared-prompt.ts passes others).
 */
export async function createWorkload(seed = 1, model = CausalLM.random(workloadConfig(), seed), pairs = workloadPairs(seed)): Promise<Workload> {
  const batch = collatePreference(pairs, { padTokenId: 0 });
  const reference = batchLogps(model, batch);
  const registry = await createLossRegistry();
  const loss = registry.get('dpo');
  const params = resolveParams(loss, { beta: 0.1 });
  const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  return {
    model, pairs, batch, reference, loss, params, optimizer,
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

/** Computes a microbatch's gradients (weight `scale`); by default prefopt's single-thread `computeGradients`. */
export type GradientFn = (w: Workload, scale: number) => MicrobatchGradients;

export const singleThreadGradients: GradientFn = (w, scale) =>
  computeGradients(w.model, () => preferenceObjective(w.model, w.batch, w.loss, w.params, w.reference), scale);

export const DPO_SPEC: ObjectiveSpec = { kind: 'preference', loss: { name: 'dpo', beta: 0.1 }, plugins: [] };

/** The trainer's data-parallel path: the 8 pairs split over the pool's threads. */
export function poolGradients(pool: GradientPool): GradientFn {
  return (w, scale) => {
    let start = 0;
    const shares: Share[] = pool.split(w.pairs).map((pairs) => {
      const at = Array.from({ length: pairs.length }, (_, i) => start + i);
      start += pairs.length;
      const reference = { chosen: Float32Array.from(at, (i) => w.reference.chosen[i]!), rejected: Float32Array.from(at, (i) => w.reference.rejected[i]!) };
      return { kind: 'preference', batch: collatePreference(pairs, { padTokenId: 0 }), reference };
    });
    return pool.computeGradients(shares, scale);
  };
}

/** One optimizer step as the trainer takes it: gradients, global norm, clip to 1, AdamW at lr 1e-4. */
export function trainingStep(w: Workload, gradients: GradientFn = singleThreadGradients): Record<string, number> {
  const { grads, metrics } = gradients(w, 1);
  const norm = globalNorm(grads);
  clipByGlobalNorm(grads, norm, 1);
  w.optimizer.apply(grads, 1e-4);
  for (const g of grads.values()) g.dispose();
  return { ...metrics, grad_norm: norm };
}

/** Wall-clock seconds of each of `steps` steps (after `warmup` untimed ones). */
export function timeSteps(w: Workload, steps: number, warmup: number, gradients?: GradientFn): number[] {
  for (let i = 0; i < warmup; i++) trainingStep(w, gradients);
  const seconds: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    trainingStep(w, gradients);
    seconds.push((performance.now() - start) / 1000);
  }
  return seconds;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
