/**
 * LoRA DPO runs end to end: PEFT-format adapters, exact resume, merge, no reference copy; and the
 * outputs of any run: dtype kept, model card, generation config, rotation, --resume-from,
 * reference.path and the reference cache in the run directory.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { LoadedConfig } from '../../core/config/load.ts';
import { createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { loadModelDir, saveModelDir } from '../../core/model/checkpoint.ts';
import { parseConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { loadAdapterDir, mergeAdapterDir } from '../../core/model/peft.ts';
import { readSafetensors, type SaveDtype } from '../../core/model/safetensors.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { MetricsLog } from '../../core/train/run-dir.ts';
import { train } from '../../core/train/trainer.ts';
import { randomBatch } from '../model/helpers.ts';
import { quiet, tempDir, tinyRun } from './helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

const ALL = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

/** A base model directory shaped like tinyRun's model.init (char tokenizer), stored as `dtype`. */
async function baseDir(dir: string, dtype: SaveDtype = 'F32', seed = 1): Promise<string> {
  const tokenizer = createCharTokenizer();
  const config = parseConfig({
    vocab_size: tokenizer.vocabSize, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2,
    max_position_embeddings: 16, tie_word_embeddings: true, eos_token_id: tokenizer.eosTokenId, bos_token_id: tokenizer.bosTokenId, pad_token_id: tokenizer.padTokenId,
  });
  const model = CausalLM.random(config, seed);
  const target = path.join(dir, `base-${dtype}-${seed}`);
  await saveModelDir(target, model, tokenizer, { dtype });
  model.dispose();
  return target;
}

/** tinyRun's letter task on the model in `base`, optionally with LoRA. */
async function runOn(dir: string, base: string, overrides: Record<string, any> = {}, lora?: object): Promise<LoadedConfig> {
  const loaded = await tinyRun(dir, overrides);
  loaded.config.model = { path: base, saveDtype: 'auto', ...(lora ? { lora: { r: 4, alpha: 8, dropout: 0.1, targetModules: [...ALL], ...lora } } : {}) } as any;
  return loaded;
}

/** metrics.jsonl without the wall-clock field. */
async function metrics(runDir: string) {
  return (await new MetricsLog(path.join(runDir, 'metrics.jsonl')).read()).map(({ 'tokens/s': _speed, ...rest }) => rest);
}

const sumsOf = (model: CausalLM) => tf.tidy(() => sequenceLogprobs(model, randomBatch(4, 10, model.config.vocab_size, 2)).sums.arraySync()) as number[];

class Killed extends Error {}

describe('LoRA DPO', () => {
  test('trains with frozen base weights, saves PEFT adapters, resumes exactly (dropout masks included) and merges into the adapter model', async () => {
    const dir = await tempDir();
    const base = await baseDir(dir);
    const settings = { train: { maxSteps: 8, saveEvery: 3, logEvery: 2, learningRate: 2e-2 } };
    const result = await train(await runOn(await tempDir(), base, settings, {}), { progressStream: quiet });
    assert.ok(result.train.loss! < Math.log(2) - 0.05, `DPO loss fell below log 2: ${result.train.loss}`);
    const logged = await metrics(result.runDir);
    assert.ok(logged.some((line) => typeof line.mean_token_accuracy === 'number' && (line.num_tokens as number) > 0));

    // The final directory is a PEFT adapter with the base model named.
    const files = (await readdir(result.modelDir)).sort();
    for (const f of ['README.md', 'adapter_config.json', 'adapter_model.safetensors', 'tokenizer.json']) assert.ok(files.includes(f), files.join(', '));
    assert.ok(!files.includes('model.safetensors'));
    const adapterConfig = JSON.parse(await readFile(path.join(result.modelDir, 'adapter_config.json'), 'utf8'));
    assert.deepEqual([adapterConfig.peft_type, adapterConfig.task_type, adapterConfig.r, adapterConfig.lora_alpha, adapterConfig.base_model_name_or_path], ['LORA', 'CAUSAL_LM', 4, 8, base]);
    assert.deepEqual(adapterConfig.target_modules, [...ALL]);
    const { tensors } = await readSafetensors(path.join(result.modelDir, 'adapter_model.safetensors'));
    assert.equal(tensors.size, 2 * ALL.length);
    assert.ok(tensors.has('base_model.model.model.layers.0.mlp.gate_proj.lora_B.weight'));
    assert.ok([...tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!.data].some((v) => v !== 0), 'B was trained');
    assert.match(await readFile(path.join(result.modelDir, 'README.md'), 'utf8'), /library_name: peft[\s\S]*LoRA r=4, alpha=8/);
    // Checkpoints hold the adapter, not the base weights.
    const checkpoint = path.join(result.runDir, 'checkpoints', 'step-000003');
    assert.deepEqual((await readdir(checkpoint)).filter((f) => f.endsWith('.safetensors')).sort(), ['adapter_model.safetensors', 'optimizer.safetensors']);

    // Merged model == base + adapter.
    const adapted = await loadModelDir(base);
    await loadAdapterDir(result.modelDir, adapted.model);
    await mergeAdapterDir({ baseDir: base, adapterDir: result.modelDir, outDir: path.join(dir, 'merged') });
    const merged = await loadModelDir(path.join(dir, 'merged'));
    const [a, m] = [sumsOf(adapted.model), sumsOf(merged.model)];
    a.forEach((v, i) => assert.ok(Math.abs(v - m[i]!) <= 1e-4 * Math.abs(v), `${v} vs ${m[i]}`));
    adapted.model.dispose();
    merged.model.dispose();

    // Interrupted at step 5, resumed from the step-3 checkpoint: the same metrics as the whole run.
    const interrupted = await runOn(await tempDir(), base, settings, {});
    await assert.rejects(train(interrupted, { progressStream: quiet, afterStep: (step) => { if (step === 5) throw new Killed(); } }), Killed);
    await train(interrupted, { progressStream: quiet, resume: true });
    assert.deepEqual(await metrics(interrupted.config.output), await metrics(result.runDir));
  });

  test('the reference is the base model with adapters off: training memory has no second copy of the weights (full fine-tuning has one)', async () => {
    const dir = await tempDir();
    const base = await baseDir(dir);
    const paramBytes = await loadModelDir(base).then(({ model }) => {
      const bytes = model.parameterCount() * 4;
      model.dispose();
      return bytes;
    });
    const measure = async (lora?: object) => {
      const before = tf.memory().numBytes;
      let during = 0;
      await train(await runOn(await tempDir(), base, { train: { maxSteps: 2 } }, lora), { progressStream: quiet, afterStep: () => { during = tf.memory().numBytes - before; } });
      return during;
    };
    const loraBytes = await measure({ r: 4, targetModules: ['q_proj', 'v_proj'] });
    const fullBytes = await measure();
    // LoRA: weights + small adapters and their moments. Full: weights, reference copy, two moments.
    assert.ok(loraBytes < 1.5 * paramBytes, `LoRA run holds ${loraBytes} bytes for ${paramBytes} bytes of weights`);
    assert.ok(fullBytes >= 4 * paramBytes, `full run holds ${fullBytes} bytes for ${paramBytes} bytes of weights`);
  });
});

describe('run outputs', () => {
  test('BF16 in, BF16 out: the saved model keeps its dtype, with a model card and generation_config.json; model.saveDtype overrides', async () => {
    const dir = await tempDir();
    const base = await baseDir(dir, 'BF16');
    const result = await train(await runOn(dir, base, { train: { maxSteps: 3 } }), { progressStream: quiet });
    const { tensors } = await readSafetensors(path.join(result.modelDir, 'model.safetensors'));
    assert.ok([...tensors.values()].every((t) => t.dtype === 'BF16'));
    assert.equal(JSON.parse(await readFile(path.join(result.modelDir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    assert.equal(JSON.parse(await readFile(path.join(result.modelDir, 'generation_config.json'), 'utf8')).eos_token_id, 2);
    const card = await readFile(path.join(result.modelDir, 'README.md'), 'utf8');
    for (const expected of [`base_model: ${base}`, 'loss dpo {"beta":0.5', 'train.jsonl', 'eval.jsonl', '3 optimizer steps', 'eval_loss', 'rewards/accuracies']) {
      assert.ok(card.includes(expected), `model card lacks '${expected}'`);
    }
    assert.deepEqual((await readdir(path.join(result.runDir, 'plots'))).sort(), ['accuracy.svg', 'logps.svg', 'loss.svg', 'margins.svg', 'rewards.svg']);
    const f32 = await runOn(await tempDir(), base, { train: { maxSteps: 1 } });
    f32.config.model.saveDtype = 'float32';
    const again = await train(f32, { progressStream: quiet, plots: false });
    assert.equal((await loadModelDir(again.modelDir).then(({ model, dtype }) => (model.dispose(), dtype))), 'F32');
  });

  test('train.saveTotalLimit keeps the newest N checkpoints; --resume-from an older checkpoint reproduces the rest of the run', async () => {
    const dir = await tempDir();
    const rotated = await tinyRun(dir, { train: { maxSteps: 6, saveEvery: 1, saveTotalLimit: 2, logEvery: 1 } });
    await train(rotated, { progressStream: quiet });
    assert.deepEqual((await readdir(path.join(rotated.config.output, 'checkpoints'))).sort(), ['step-000005', 'step-000006']);

    const full = await tinyRun(await tempDir(), { train: { maxSteps: 6, saveEvery: 2, logEvery: 1 } });
    await train(full, { progressStream: quiet });
    const expected = await metrics(full.config.output);
    await train(full, { progressStream: quiet, resumeFrom: path.join(full.config.output, 'checkpoints', 'step-000002') });
    assert.deepEqual(await metrics(full.config.output), expected);
    await assert.rejects(train(full, { progressStream: quiet, resumeFrom: path.join(dir, 'nowhere') }), /not a complete checkpoint/);
  });

  test('reference.path: the reference model comes from its own directory; the precomputed cache is written in the run directory', async () => {
    const dir = await tempDir();
    const [policy, other] = [await baseDir(dir, 'F32', 1), await baseDir(dir, 'F32', 2)];
    const own = await runOn(await tempDir(), policy, { train: { maxSteps: 1, logEvery: 1 } });
    const withOther = await runOn(await tempDir(), policy, { train: { maxSteps: 1, logEvery: 1 } });
    withOther.config.reference = { path: other };
    const [a, b] = [await train(own, { progressStream: quiet }), await train(withOther, { progressStream: quiet })];
    // The first step's policy is the same; only the reference differs, so the rewards differ.
    assert.notEqual(a.train['rewards/chosen'], b.train['rewards/chosen']);

    const cached = await runOn(await tempDir(), policy, { train: { maxSteps: 1, precomputeReference: true } });
    cached.config.reference = { path: other };
    const c = await train(cached, { progressStream: quiet });
    assert.ok(Math.abs(c.train['rewards/chosen']! - b.train['rewards/chosen']!) < 1e-5, `${c.train['rewards/chosen']} vs ${b.train['rewards/chosen']}`);
    assert.equal((await readdir(path.join(c.runDir, 'reference-cache'))).length, 1);
    assert.ok(!(await readdir(path.dirname(cached.config.data.train))).some((f) => f.includes('.ref-')), 'nothing written beside the dataset');
  });
});
