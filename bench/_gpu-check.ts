/**
 * The GPU check of issue 13 (run by bench/gpu-check.sh on a lent GPU machine, bundled into one
 * file there; `npx tsx bench/_gpu-check.ts` runs it from the sources):
 *
 * 1. log-probs of the DPO step's 16 sequences (bench/_dpo-workload.ts) on the target backend
 *    (PREFOPT_GPU_BACKEND, default webgpu) equal wasm's to 1e-4 relative;
 * 2. the DPO step's time on the target backend (one thread: a GPU needs no data parallelism).
 *
 * Writes a JSON report to the path given as the first argument (default gpu-check.json).
 * The `webgpu` backend comes from the `webgpu` package (Dawn for Node) and
 * @tensorflow/tfjs-backend-webgpu, which the bundle registers before this runs (docs/gpu.md).
 */
import { writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { collatePreference } from '../core/data/collate.ts';
import { resolveParams } from '../core/loss/index.ts';
import { CausalLM } from '../core/model/llama.ts';
import { sequenceLogprobs } from '../core/model/logprobs.ts';
import { describeBackend, selectBackend, setBackendLoader } from '../core/runtime/backend.ts';
import { AdamW } from '../core/train/optimizer.ts';
import { batchLogps } from '../core/train/reference.ts';
import dpo from '../plugins/dpo/index.ts';
import { median, STEP_TOKENS, stepFlops, timeSteps, workloadConfig, workloadPairs, type Workload } from './_dpo-workload.ts';

const target = process.env.PREFOPT_GPU_BACKEND ?? 'webgpu';
const out = process.argv[2] ?? 'gpu-check.json';
const steps = Number(process.env.PREFOPT_BENCH_STEPS ?? 5);

// The bundle registers @tensorflow/tfjs-backend-webgpu itself: the loader only provides Dawn's
// navigator.gpu (from the `webgpu` package, installed beside the bundle).
setBackendLoader('webgpu', async () => {
  const dawn = (await import('webgpu' as string)) as { create(flags: string[]): unknown; globals: object };
  Object.assign(globalThis, dawn.globals);
  const nav = ((globalThis as any).navigator ??= {}) as Record<string, unknown>;
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: dawn.create([]), configurable: true });
  const adapter = (await (nav.gpu as { requestAdapter(): Promise<any> }).requestAdapter().catch((e: Error) => { console.log(`webgpu: requestAdapter failed: ${e.message}`); return null; })) as { info?: Record<string, string> } | null;
  console.log(adapter ? `webgpu adapter: ${JSON.stringify(adapter.info ?? {})}` : 'webgpu: Dawn found no adapter (no Vulkan loader or driver?)');
  if (!adapter) return false;
  return (tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory.webgpu !== undefined;
});

function workloadOn(model: CausalLM): Workload {
  const pairs = workloadPairs(1);
  const batch = collatePreference(pairs, { padTokenId: 0 });
  const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  return {
    model, pairs, batch, reference: batchLogps(model, batch), loss: dpo, params: resolveParams(dpo, { beta: 0.1 }) as unknown as Workload['params'], optimizer,
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

const logps = (model: CausalLM) => tf.tidy(() => Array.from(sequenceLogprobs(model, collatePreference(workloadPairs(1), { padTokenId: 0 }).tokens).sums.dataSync()));

await selectBackend('wasm');
const reference = CausalLM.random(workloadConfig(), 1);
const weights = new Map([...reference.params].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]));
const expected = logps(reference);
reference.dispose();

await selectBackend(target);
const backend = describeBackend();
console.log(`${backend}; checking log-probs against wasm`);
const model = CausalLM.fromArrays(workloadConfig(), weights);
const actual = logps(model);
const errors = actual.map((a, i) => Math.abs(a - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
const maxError = Math.max(...errors);
const logprobsOk = maxError <= 1e-4;
console.log(`log-probs: max relative difference ${maxError.toExponential(2)} (${logprobsOk ? 'ok' : 'FAILS'} <= 1e-4)`);

const workload = workloadOn(model);
const seconds = timeSteps(workload, steps, 2);
const step = median(seconds);
workload.dispose();
const report = {
  date: new Date().toISOString(),
  backend,
  logprobs: { max_relative_difference: maxError, ok: logprobsOk, wasm: expected, [target]: actual },
  dpo_step: { seconds, median_s: step, tokens_per_s: STEP_TOKENS / step, gflop_per_s: stepFlops() / step / 1e9 },
};
console.log(`DPO step on ${target}: ${step.toFixed(3)} s (median of ${steps}), ${(STEP_TOKENS / step).toFixed(0)} tokens/s, ${(stepFlops() / step / 1e9).toFixed(1)} GFLOP/s`);
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
console.log(`report: ${out}`);
process.exitCode = logprobsOk ? 0 : 1;
