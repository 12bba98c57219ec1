/**
 * Full fine-tuning against LoRA on a model of tens of millions of parameters (a random Llama:
 * hidden 512, 8 layers, 25M parameters, the character tokenizer).
 *
 * Memory: a DPO run of `prefopt train` (the real trainer) per variant, each in its own process:
 * trainable parameters, tensor memory held between steps (tf.memory().numBytes: weights,
 * reference, optimizer moments) and the process's peak RSS.
 *
 * Step time: the trainer's DPO step (reference log-probs, preferenceObjective + computeGradients,
 * clipping, AdamW) for every variant in one process, the variants interleaved round by round so
 * that machine load hits them alike; reported as the median over rounds and as a ratio to full.
 *
 *   npx tsx bench/lora.ts            (or npm run bench -- lora)
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../core/config/load.ts';
import { createCharTokenizer } from '../core/model/char-tokenizer.ts';
import { saveModelDir } from '../core/model/checkpoint.ts';
import { parseConfig } from '../core/model/config.ts';
import { CausalLM } from '../core/model/llama.ts';
import { selectBackend } from '../core/runtime/backend.ts';
import { train } from '../core/train/trainer.ts';
import { collatePreference } from '../core/data/collate.ts';
import type { PreferenceBatch } from '../core/data/batch.ts';
import { createRng } from '../core/data/random.ts';
import { createLossRegistry, resolveParams } from '../core/loss/index.ts';
import type { LlamaConfig } from '../core/model/config.ts';
import { LoraAdapters, type LoraSettings } from '../core/model/lora.ts';
import { clipByGlobalNorm, computeGradients, globalNorm } from '../core/train/gradients.ts';
import { preferenceObjective } from '../core/train/objectives.ts';
import { AdamW } from '../core/train/optimizer.ts';
import { batchLogps } from '../core/train/reference.ts';
import { writeResults } from './_results.ts';

const SHAPE = { hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8, num_attention_heads: 8, max_position_embeddings: 128 };
const STEPS = 2;
const ROUNDS = 5;
const PAIRS = 4;

const VARIANTS: Record<string, object | undefined> = {
  full: undefined,
  'lora r8 q,v': { r: 8, alpha: 16, dropout: 0, targetModules: ['q_proj', 'v_proj'] },
  'lora r16 all linear': { r: 16, alpha: 32, dropout: 0.05, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
};

/** 32 pairs of ~50-character answers the character tokenizer turns into ~60-token sequences. */
function pairs(): Array<{ prompt: string; chosen: string; rejected: string }> {
  return Array.from({ length: 32 }, (_, i) => ({
    prompt: `Question ${i}: what is ${i} + ${i}?`,
    chosen: ` The answer is ${2 * i}, because ${i} and ${i} make ${2 * i}.`,
    rejected: ` The answer is ${2 * i + 1}, I think, but I am not sure.`,
  }));
}

/** One variant, in this process: prints a JSON row. */
async function child(variant: string, dir: string): Promise<void> {
  await selectBackend('wasm');
  const loaded = await resolveConfig(
    {
      stage: 'preference',
      model: { path: path.join(dir, 'base'), ...(VARIANTS[variant] ? { lora: VARIANTS[variant] } : {}) },
      data: { train: path.join(dir, 'train.jsonl'), maxLength: 128 },
      loss: { name: 'dpo', beta: 0.1 },
      train: { maxSteps: STEPS, batchSize: PAIRS, learningRate: 1e-4, logEvery: 1, saveEvery: 0, seed: 1, workers: 1 }, // one thread: LoRA runs on one, and worker copies would hide from tf.memory()
      backend: 'wasm',
      output: path.join(dir, `run-${variant.replace(/\W+/g, '-')}`),
    },
    { source: 'bench-lora', baseDir: dir },
  );
  const stamps: number[] = [];
  let heldBytes = 0;
  let trainable = 0;
  const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
  const started = Date.now();
  await train(loaded, {
    progressStream: quiet,
    afterStep: () => {
      stamps.push(Date.now());
      heldBytes = tf.memory().numBytes;
    },
  });
  const lines = (await import('node:fs/promises')).readFile(path.join(loaded.config.output, 'metrics.jsonl'), 'utf8');
  const tokens = (await lines).trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((l) => l.num_tokens !== undefined);
  const model = path.join(loaded.config.output, 'model');
  trainable = VARIANTS[variant] ? await adapterParameters(model) : 0;
  const steps = stamps.slice(1).map((t, i) => t - stamps[i]!);
  const meanStepMs = steps.reduce((a, b) => a + b, 0) / steps.length;
  const numTokens = tokens.at(-1)!.num_tokens!;
  process.stdout.write(`${JSON.stringify({
    variant, trainable, heldBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024, meanStepMs: Math.round(meanStepMs),
    tokensPerStep: numTokens / STEPS, seconds: (Date.now() - started) / 1000,
  })}\n`);
}

async function adapterParameters(dir: string): Promise<number> {
  const { readSafetensors } = await import('../core/model/safetensors.ts');
  let count = 0;
  for (const t of (await readSafetensors(path.join(dir, 'adapter_model.safetensors'))).tensors.values()) count += t.data.length;
  return count;
}

/** 2 pairs of random 64-token sequences with a shared 16-token prompt, collated. */
function stepBatch(seed: number): PreferenceBatch {
  const rng = createRng(seed);
  const tokens = (n: number) => Array.from({ length: n }, () => rng.int(3, 99));
  const pairs = Array.from({ length: 2 }, () => {
    const prompt = [1, ...tokens(15)];
    return { chosen: { ids: [...prompt, ...tokens(48)], promptLength: 16 }, rejected: { ids: [...prompt, ...tokens(48)], promptLength: 16 } };
  });
  return collatePreference(pairs, { padTokenId: 0 });
}

/** Median step time per variant, the variants interleaved over `rounds` rounds (after one warm-up round). */
async function interleavedStepTimes(config: LlamaConfig, arrays: Map<string, { shape: number[]; data: Float32Array }>, rounds: number): Promise<Record<string, number>> {
  const dpo = (await createLossRegistry()).get('dpo');
  const params = resolveParams(dpo, { beta: 0.1 });
  const batch = stepBatch(1);
  const setups = Object.entries(VARIANTS).map(([name, lora]) => {
    const model = CausalLM.fromArrays(config, arrays);
    const adapters = lora ? LoraAdapters.attach(model, lora as LoraSettings, 1) : undefined;
    const reference = adapters ? undefined : CausalLM.fromArrays(config, arrays);
    const optimizer = new AdamW(model.trainable, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const step = () => {
      const ref = reference ? batchLogps(reference, batch) : model.withAdaptersDisabled(() => batchLogps(model, batch));
      const { grads } = computeGradients(model, () => preferenceObjective(model, batch, dpo, params, ref), 1);
      clipByGlobalNorm(grads, globalNorm(grads), 1);
      optimizer.apply(grads, 1e-5);
      for (const g of grads.values()) g.dispose();
    };
    return { name, step, times: [] as number[] };
  });
  for (let round = 0; round <= rounds; round++) {
    for (const setup of setups) {
      const start = performance.now();
      setup.step();
      if (round > 0) setup.times.push(performance.now() - start);
    }
    console.log(`round ${round}: ${setups.map((s) => `${s.name} ${s.times.at(-1)?.toFixed(0) ?? 'warm-up'} ms`).join(', ')}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(setups.map((s) => [s.name, Math.round(median(s.times))]));
}

export async function run(): Promise<void> {
  await selectBackend('wasm');
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-bench-lora-'));
  try {
    const tokenizer = createCharTokenizer();
    const config = parseConfig({ ...SHAPE, vocab_size: tokenizer.vocabSize, tie_word_embeddings: true, eos_token_id: 2, bos_token_id: 1, pad_token_id: 0 });
    const model = CausalLM.random(config, 1);
    const total = model.parameterCount();
    await saveModelDir(path.join(dir, 'base'), model, tokenizer);
    const arrays = new Map([...model.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]));
    model.dispose();
    const stepMs = await interleavedStepTimes(config, arrays, ROUNDS);
    await writeFile(path.join(dir, 'train.jsonl'), pairs().map((p) => JSON.stringify(p)).join('\n'));
    const rows: Array<Record<string, number | string>> = [];
    for (const variant of Object.keys(VARIANTS)) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', variant, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
      const row = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number | string>;
      if (row.trainable === 0) row.trainable = total;
      rows.push({ ...row, parameters: total, interleavedStepMs: stepMs[variant]! });
      console.log(JSON.stringify(rows.at(-1)));
    }
    const full = rows[0]!;
    console.log('\nvariant               trainable    held MB   peak RSS MB   step s (interleaved)   vs full (held, step)');
    for (const r of rows) {
      const mb = (b: unknown) => ((b as number) / 2 ** 20).toFixed(0);
      console.log(
        `${String(r.variant).padEnd(20)} ${String(r.trainable).padStart(10)} ${mb(r.heldBytes).padStart(10)} ${mb(r.peakRssBytes).padStart(13)} ${((r.interleavedStepMs as number) / 1000).toFixed(2).padStart(22)}   ` +
          `${((r.heldBytes as number) / (full.heldBytes as number)).toFixed(2)}x, ${((r.interleavedStepMs as number) / (full.interleavedStepMs as number)).toFixed(2)}x`,
      );
    }
    console.log(`results: ${await writeResults('lora', rows)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1]!, args[2]!);
else if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
