/**
 * Text generation: greedy decoding or temperature / top-k sampling with a seed, stopping at EOS,
 * after `maxNewTokens`, or when a row fills the model's max_position_embeddings. Prompts of different lengths are batched together (left-padded, with the
 * padding masked out of attention and position ids counted from each prompt's first real token,
 * as HF does), and a KV cache makes each new token cost one position's forward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { inBatches } from '../data/iterate.ts';
import { createRng } from '../data/random.ts';
import { UserError } from '../errors.ts';
import { CausalLM, disposeCache, type KVCache } from './llama.ts';

export interface GenerateOptions {
  /** Most tokens generated per prompt (the EOS token, when produced, counts and ends the row). */
  maxNewTokens: number;
  /** 0 (default) is greedy; otherwise logits are divided by it before sampling. */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Seed of the sampling PRNG (default 0): same seed, same prompts, same outputs. */
  seed?: number;
  /** Token that ends a row; default: the config's eos_token_id. */
  eosTokenId?: number;
  /** Prompts per forward batch (default 32). */
  batchSize?: number;
  /** Use the KV cache (default true); false recomputes the whole sequence every step (for tests). */
  useCache?: boolean;
}

export interface Generation {
  /** Generated token ids, without the prompt and without the EOS token. */
  ids: number[];
  finishReason: 'eos' | 'length';
}

/** Picks the next token from one row of logits: argmax, or a temperature / top-k sample. */
export function pickToken(logits: Float32Array, temperature: number, topK: number, random: () => number): number {
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  let candidates = Array.from(logits.keys());
  if (topK > 0 && topK < logits.length) candidates = candidates.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK);
  let max = -Infinity;
  for (const i of candidates) max = Math.max(max, logits[i]!);
  const weights = candidates.map((i) => Math.exp((logits[i]! - max) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random() * total;
  for (let j = 0; j < candidates.length; j++) {
    u -= weights[j]!;
    if (u <= 0) return candidates[j]!;
  }
  return candidates[candidates.length - 1]!;
}

function checkOptions(model: CausalLM, options: GenerateOptions): { eos: number; temperature: number; topK: number } {
  const { maxNewTokens, temperature = 0, topK = 0 } = options;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new UserError(`max new tokens must be an integer >= 1 (got ${maxNewTokens})`);
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new UserError(`temperature must be a finite number >= 0 (got ${temperature})`);
  if (!Number.isInteger(topK) || topK < 0) throw new UserError(`top-k must be an integer >= 0 (got ${topK})`);
  const configEos = model.config.eos_token_id;
  const eos = options.eosTokenId ?? (Array.isArray(configEos) ? configEos[0] : configEos ?? undefined);
  if (eos === undefined || eos === null) throw new UserError('no EOS token id: set eos_token_id in config.json or pass one');
  return { eos, temperature, topK };
}

/** Generates a continuation of every prompt (token ids). Results are in prompt order. */
export async function generate(model: CausalLM, prompts: number[][], options: GenerateOptions): Promise<Generation[]> {
  const settings = checkOptions(model, options);
  const vocab = model.config.vocab_size;
  const positions = model.config.max_position_embeddings;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new UserError(`prompt ${i + 1} is empty (it needs at least one token, e.g. BOS)`);
    const bad = p.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (bad !== undefined) throw new UserError(`prompt ${i + 1}: token id ${bad} is outside the vocabulary [0, ${vocab})`);
    if (p.length >= positions) {
      throw new UserError(`prompt ${i + 1} has ${p.length} tokens; the model's max_position_embeddings (${positions}) leaves no room for a new token`);
    }
  });
  const rng = createRng(options.seed ?? 0);
  const random = () => rng.next();
  // Batch prompts of similar length together (less padding), then restore the original order.
  const order = prompts.map((_, i) => i).sort((a, b) => prompts[a]!.length - prompts[b]!.length || a - b);
  const results = new Array<Generation>(prompts.length);
  await model.withInferenceWeights(async () => {
    for (const chunk of inBatches(order, options.batchSize ?? 32)) {
      const out = await generateBatch(model, chunk.map((i) => prompts[i]!), options.maxNewTokens, settings, random, options.useCache ?? true);
      chunk.forEach((i, j) => (results[i] = out[j]!));
    }
  });
  return results;
}

async function generateBatch(
  model: CausalLM, prompts: number[][], maxNewTokens: number,
  settings: { eos: number; temperature: number; topK: number }, random: () => number, useCache: boolean,
): Promise<Generation[]> {
  const batch = prompts.length;
  const width = Math.max(...prompts.map((p) => p.length));
  // rows[b] holds the full left-padded sequence so far; real[b] marks its real (non-pad) tokens.
  const rows = prompts.map((p) => [...new Array<number>(width - p.length).fill(0), ...p]);
  const real = prompts.map((p) => [...new Array<number>(width - p.length).fill(0), ...new Array<number>(p.length).fill(1)]);
  const results: Generation[] = prompts.map(() => ({ ids: [], finishReason: 'length' }));
  const done = new Array<boolean>(batch).fill(false);
  let cache: KVCache | undefined;
  try {
    // A row never grows past the model's positions: generation then ends with finishReason 'length'.
    const steps = Math.min(maxNewTokens, model.config.max_position_embeddings - width);
    for (let step = 0; step < steps; step++) {
      const total = rows[0]!.length;
      const from = useCache && cache ? cache.length : 0; // first position fed this step
      const t = total - from;
      const ids = new Int32Array(batch * t);
      const positions = new Int32Array(batch * t);
      const keyMask = new Float32Array(batch * total);
      for (let b = 0; b < batch; b++) {
        let pos = 0;
        for (let j = 0; j < total; j++) {
          keyMask[b * total + j] = real[b]![j]!;
          if (j >= from) {
            ids[b * t + j - from] = rows[b]![j]!;
            positions[b * t + j - from] = Math.max(0, pos - 1 + real[b]![j]!);
          }
          pos += real[b]![j]!;
        }
      }
      const input = tf.tensor2d(ids, [batch, t], 'int32');
      const { logits, cache: next } = model.forwardWithCache(input, { positions, keyMask, cache: useCache ? cache : undefined, lastOnly: true });
      input.dispose();
      if (cache) disposeCache(cache);
      cache = undefined;
      if (useCache) cache = next;
      else disposeCache(next);
      const values = (await logits.data()) as Float32Array;
      logits.dispose();
      const vocab = values.length / batch;
      for (let b = 0; b < batch; b++) {
        let token = settings.eos;
        if (!done[b]) {
          token = pickToken(values.subarray(b * vocab, (b + 1) * vocab), settings.temperature, settings.topK, random);
          if (token === settings.eos) {
            done[b] = true;
            results[b]!.finishReason = 'eos';
          } else results[b]!.ids.push(token);
        }
        rows[b]!.push(token);
        real[b]!.push(1);
      }
      if (done.every(Boolean)) break;
    }
  } finally {
    if (cache) disposeCache(cache);
  }
  return results;
}
