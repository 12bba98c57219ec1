/**
 * Model runtime throughput: training tokens/s (forward + backward of the summed completion
 * log-probs, every weight's gradient) and generation tokens/s (greedy, KV cache, 8 prompts) on the
 * wasm and cpu backends, for a small and a medium Llama shape. Results go to
 * bench/results/model.json and are printed as a table.
 *
 *   npx tsx bench/model.ts           (or: npm run bench -- model)
 *   PREFOPT_BENCH_CPU_MEDIUM=0 ...   skips the slow cpu medium rows (about a minute per step)
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { Bench } from 'tinybench';
import { writeFileAtomic } from '../core/io/atomic.ts';
import { tinyConfig, type LlamaConfig } from '../core/model/config.ts';
import { generate } from '../core/model/generate.ts';
import { CausalLM } from '../core/model/llama.ts';
import { sequenceLogprobs } from '../core/model/logprobs.ts';
import { selectBackend } from '../core/runtime/backend.ts';

interface Shape {
  name: string;
  hidden: number;
  layers: number;
  heads: number;
  seq: number;
  batch: number;
}

const SHAPES: Shape[] = [
  { name: 'small', hidden: 64, layers: 2, heads: 4, seq: 32, batch: 8 },
  { name: 'medium', hidden: 256, layers: 4, heads: 4, seq: 128, batch: 8 },
];
const VOCAB = 100; // the character tokenizer's
const GEN_PROMPT = 8;
const GEN_NEW = 32;

function configOf(shape: Shape): LlamaConfig {
  return tinyConfig({
    vocab_size: VOCAB, hidden_size: shape.hidden, intermediate_size: 4 * shape.hidden, num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads, num_key_value_heads: shape.heads, max_position_embeddings: 512,
  });
}

function trainStep(model: CausalLM, shape: Shape): void {
  const n = shape.batch * shape.seq;
  const batch = {
    rows: shape.batch, seqLen: shape.seq,
    inputIds: Int32Array.from({ length: n }, (_, i) => (i * 7919) % VOCAB),
    completionMask: Float32Array.from({ length: n }, (_, i) => (i % shape.seq >= shape.seq / 4 ? 1 : 0)),
  };
  const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.neg(tf.mean(sequenceLogprobs(model, batch).sums)) as tf.Scalar), model.trainableVariables());
  for (const g of Object.values(grads)) g.dataSync();
  value.dispose();
  tf.dispose(grads);
}

async function generation(model: CausalLM, shape: Shape): Promise<void> {
  const prompts = Array.from({ length: shape.batch }, (_, b) => Array.from({ length: GEN_PROMPT - (b % 3) }, (_, t) => (b * 31 + t * 7) % VOCAB));
  await generate(model, prompts, { maxNewTokens: GEN_NEW, eosTokenId: VOCAB }); // an id never produced: full length
}

export async function run(): Promise<void> {
  const rows: Array<Record<string, string | number>> = [];
  const skipCpuMedium = process.env.PREFOPT_BENCH_CPU_MEDIUM === '0';
  for (const backend of ['wasm', 'cpu']) {
    await selectBackend(backend);
    for (const shape of SHAPES) {
      if (backend === 'cpu' && shape.name === 'medium' && skipCpuMedium) continue;
      const model = CausalLM.random(configOf(shape), 1);
      const slow = backend === 'cpu' && shape.name === 'medium';
      const bench = new Bench({ name: `${backend} ${shape.name}`, time: 0, iterations: slow ? 1 : 3, warmup: !slow, warmupIterations: 1 });
      bench.add('train', () => trainStep(model, shape));
      bench.add('generate', () => generation(model, shape));
      if (slow) trainStep(model, shape); // one untimed step compiles/allocates, as warmup does elsewhere
      await bench.run();
      const [train, gen] = bench.tasks.map((t) => t.result as unknown as { latency: { mean: number }; runs?: number });
      const stepMs = train!.latency.mean;
      const genMs = gen!.latency.mean;
      rows.push({
        backend, shape: shape.name, params: model.parameterCount(), batch: shape.batch, seq: shape.seq,
        train_ms_per_step: Math.round(stepMs), train_tokens_per_s: Math.round((shape.batch * shape.seq * 1000) / stepMs),
        gen_tokens_per_s: Math.round((shape.batch * GEN_NEW * 1000) / genMs), iterations: slow ? 1 : 3,
      });
      model.dispose();
      console.log(`  done: ${backend} ${shape.name}`);
    }
  }
  const ratio: Record<string, number> = {};
  for (const shape of SHAPES) {
    const w = rows.find((r) => r.backend === 'wasm' && r.shape === shape.name);
    const c = rows.find((r) => r.backend === 'cpu' && r.shape === shape.name);
    if (w && c) ratio[shape.name] = Number(((w.train_tokens_per_s as number) / (c.train_tokens_per_s as number)).toFixed(1));
  }
  console.table(rows);
  console.log('wasm / cpu training speed-up:', ratio);
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'model.json');
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: process.platform };
  await writeFileAtomic(file, `${JSON.stringify({ date: new Date().toISOString(), machine, generation: { prompt_tokens: GEN_PROMPT, new_tokens: GEN_NEW }, rows, wasm_over_cpu_training: ratio }, null, 2)}\n`);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
