/** Shared helpers for the model tests: tiny random weights, token batches and model directories. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TokenBatch } from '../../core/data/batch.ts';
import type { TokenizedPair } from '../../core/data/collate.ts';
import { createRng } from '../../core/data/random.ts';
import { charTokenizerFiles } from '../../core/model/char-tokenizer.ts';
import { tinyConfig, type LlamaConfig } from '../../core/model/config.ts';
import { parameterShapes } from '../../core/model/llama.ts';

/** A seeded stream of floats in [0, 1) (the project's PRNG). */
export function prng(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

export type Arrays = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * Random weights for every parameter of `config`, all of them non-trivial (norm weights around 1,
 * biases non-zero) so that a test notices any weight that is ignored or misapplied.
 */
export function randomArrays(config: LlamaConfig, seed: number, std = 0.3): Arrays {
  const rand = prng(seed);
  const arrays: Arrays = new Map();
  for (const [name, shape] of parameterShapes(config)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const base = name.endsWith('norm.weight') ? 1 : 0;
    const data = Float32Array.from({ length: size }, () => base + (rand() * 2 - 1) * std * Math.sqrt(3));
    arrays.set(name, { shape, data });
  }
  return arrays;
}

/** A config whose vocabulary fits the character tokenizer (100 tokens). */
export function charConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return tinyConfig({ vocab_size: 100, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, ...overrides });
}

/** A right-padded batch of random sequences with a prompt/completion split per row. */
export function randomBatch(rows: number, seqLen: number, vocab: number, seed: number): TokenBatch & { lengths: number[]; promptLengths: number[] } {
  const rand = prng(seed);
  const inputIds = new Int32Array(rows * seqLen);
  const completionMask = new Float32Array(rows * seqLen);
  const lengths: number[] = [];
  const promptLengths: number[] = [];
  for (let r = 0; r < rows; r++) {
    const length = 3 + Math.floor(rand() * (seqLen - 2)); // 3..seqLen
    const prompt = 1 + Math.floor(rand() * (length - 2)); // 1..length-2
    lengths.push(length);
    promptLengths.push(prompt);
    for (let t = 0; t < seqLen; t++) {
      inputIds[r * seqLen + t] = t < length ? Math.floor(rand() * vocab) : 0;
      completionMask[r * seqLen + t] = t >= prompt && t < length ? 1 : 0;
    }
  }
  return { rows, seqLen, inputIds, completionMask, lengths, promptLengths };
}

/** Random pairs: prompts of 1..6 tokens (some pairs' prompts differ), answers of 1..6 tokens, some sharing their first tokens. */
export function randomPairs(count: number, seed: number, vocab = 40): TokenizedPair[] {
  const rng = createRng(seed);
  const int = (n: number) => Math.floor(rng.next() * n);
  const tokens = (n: number) => Array.from({ length: n }, () => 3 + int(vocab - 3));
  return Array.from({ length: count }, () => {
    const prompt = tokens(1 + int(6));
    const common = tokens(int(3)); // identical first answer tokens
    const chosen = [...prompt, ...common, ...tokens(1 + int(4))];
    const rejectedPrompt = int(4) === 0 ? [...prompt.slice(0, -1), 3 + ((prompt.at(-1)! - 2) % (vocab - 3))] : prompt; // a prompt that differs at its end
    const rejected = [...rejectedPrompt, ...common, ...tokens(1 + int(4))];
    return { chosen: { ids: chosen, promptLength: prompt.length }, rejected: { ids: rejected, promptLength: rejectedPrompt.length } };
  });
}

/** Encodes float values as F16 or BF16 (round to nearest even), little-endian. */
export function encodeHalf(values: Float32Array, dtype: 'F16' | 'BF16'): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i]!;
    const bits = u32[0]!;
    let half: number;
    if (dtype === 'BF16') {
      half = (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
    } else {
      const sign = (bits >>> 16) & 0x8000;
      const abs = Math.abs(values[i]!);
      if (abs < 2 ** -24) half = sign;
      else if (abs < 2 ** -14) half = sign | Math.round(abs / 2 ** -24);
      else {
        const exp = Math.floor(Math.log2(abs));
        let mant = Math.round((abs / 2 ** exp - 1) * 1024);
        let e = exp;
        if (mant === 1024) {
          mant = 0;
          e += 1;
        }
        half = sign | ((e + 15) << 10) | mant;
      }
    }
    view.setUint16(i * 2, half, true);
  }
  return out;
}

/** Raw safetensors bytes from already-encoded tensors (for dtypes the writer does not produce). */
export function rawSafetensors(tensors: Array<{ name: string; dtype: string; shape: number[]; bytes: Uint8Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let cursor = 8 + json.byteLength;
  for (const t of tensors) {
    out.set(t.bytes, cursor);
    cursor += t.bytes.byteLength;
  }
  return out;
}

/** Writes a model directory in HF layout with the given weights stored as `dtype`, and the char tokenizer. */
export async function writeModelDir(dir: string, config: LlamaConfig, arrays: Arrays, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): Promise<void> {
  const tensors = [...arrays].map(([name, { shape, data }]) => ({
    name, dtype, shape,
    bytes: dtype === 'F32' ? new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : encodeHalf(data, dtype),
  }));
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  await writeFile(path.join(dir, 'model.safetensors'), rawSafetensors(tensors));
  await writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-model-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
