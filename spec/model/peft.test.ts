/** Adapters on disk as PEFT writes them, read back, and merged into a full model (library and CLI). */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { loadModelDir } from '../../core/model/checkpoint.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { LoraAdapters } from '../../core/model/lora.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { loadAdapterDir, mergeAdapterDir, saveAdapterDir } from '../../core/model/peft.ts';
import { readSafetensors } from '../../core/model/safetensors.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { runCli } from '../helpers/cli.ts';
import { charConfig, prng, randomArrays, randomBatch, withTempDir, writeModelDir } from './helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

const batch = randomBatch(3, 9, 100, 4);
const sumsOf = (model: CausalLM) => tf.tidy(() => sequenceLogprobs(model, batch).sums.arraySync()) as number[];
const config = charConfig({ model_type: 'qwen2' });
const settings = { r: 4, alpha: 16, dropout: 0.05, targetModules: ['q_proj', 'v_proj', 'down_proj'] };

/** A BF16 base directory and a trained-looking adapter (random B) on it, saved as PEFT does. */
async function baseAndAdapter(dir: string): Promise<{ base: string; adapter: string; adapted: number[] }> {
  const base = path.join(dir, 'base');
  await writeModelDir(base, config, randomArrays(config, 5), 'BF16');
  const { model, tokenizer } = await loadModelDir(base);
  const lora = LoraAdapters.attach(model, settings, 3);
  const rand = prng(9);
  for (const layer of lora.layers.values()) layer.b.assign(tf.tensor(Float32Array.from({ length: layer.b.size }, () => rand() - 0.5), layer.b.shape));
  const adapter = path.join(dir, 'adapter');
  await saveAdapterDir(adapter, lora, { baseModel: base, tokenizer });
  const adapted = sumsOf(model);
  model.dispose();
  return { base, adapter, adapted };
}

const close = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 1e-4 * Math.max(1, Math.abs(b[i]!)));

test("adapter files are PEFT's: adapter_config.json fields and base_model.model.* lora_A/lora_B tensor names and shapes", async () => {
  await withTempDir(async (dir) => {
    const { base, adapter } = await baseAndAdapter(dir);
    const files = await readdir(adapter);
    assert.ok(files.includes('adapter_config.json') && files.includes('adapter_model.safetensors') && files.includes('tokenizer.json'), files.join(', '));
    const json = JSON.parse(await readFile(path.join(adapter, 'adapter_config.json'), 'utf8'));
    assert.equal(json.peft_type, 'LORA');
    assert.equal(json.task_type, 'CAUSAL_LM');
    assert.equal(json.r, 4);
    assert.equal(json.lora_alpha, 16);
    assert.equal(json.lora_dropout, 0.05);
    assert.deepEqual(json.target_modules, ['q_proj', 'v_proj', 'down_proj']);
    assert.equal(json.base_model_name_or_path, base);
    assert.equal(json.bias, 'none');
    assert.equal(json.use_rslora, false);
    const { tensors } = await readSafetensors(path.join(adapter, 'adapter_model.safetensors'));
    const names = [...tensors.keys()].sort();
    assert.equal(names.length, 2 * 3 * config.num_hidden_layers);
    assert.ok(names.every((n) => /^base_model\.model\.model\.layers\.\d+\.(self_attn\.(q|v)_proj|mlp\.down_proj)\.lora_[AB]\.weight$/.test(n)), names.join('\n'));
    const a = tensors.get('base_model.model.model.layers.0.mlp.down_proj.lora_A.weight')!;
    const b = tensors.get('base_model.model.model.layers.0.mlp.down_proj.lora_B.weight')!;
    assert.deepEqual([a.dtype, a.shape, b.shape], ['F32', [4, config.intermediate_size], [config.hidden_size, 4]]);
  });
});

test('a saved adapter loads onto its base and gives the same log-probs', async () => {
  await withTempDir(async (dir) => {
    const { base, adapter, adapted } = await baseAndAdapter(dir);
    const { model } = await loadModelDir(base);
    const { adapters, baseModel } = await loadAdapterDir(adapter, model);
    assert.equal(baseModel, base);
    assert.deepEqual(adapters.settings, { ...settings, useRslora: false });
    assert.deepEqual(sumsOf(model), adapted);
    model.dispose();
  });
});

test('merge (library and `prefopt merge`): the merged model keeps the base dtype and its log-probs equal the adapter model', async () => {
  await withTempDir(async (dir) => {
    const { base, adapter, adapted } = await baseAndAdapter(dir);
    const out = path.join(dir, 'merged-f32');
    assert.deepEqual(await mergeAdapterDir({ baseDir: base, adapterDir: adapter, outDir: out, dtype: 'F32' }), { layers: 6, dtype: 'F32' });
    const merged = await loadModelDir(out);
    assert.ok(close(sumsOf(merged.model), adapted), `${sumsOf(merged.model)} vs ${adapted}`);
    merged.model.dispose();

    const cli = runCli(['merge', '--adapter', adapter, '--out', path.join(dir, 'merged')]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /merged 6 adapted layers .* \(bfloat16\)/);
    const fromCli = await loadModelDir(path.join(dir, 'merged'));
    assert.equal(fromCli.dtype, 'BF16');
    assert.ok(await readFile(path.join(dir, 'merged', 'generation_config.json'), 'utf8'));
    fromCli.model.dispose();
  });
});

test('commands take an adapter directory as --model: prefopt logprobs on the adapter equals the adapter model', async () => {
  await withTempDir(async (dir) => {
    const { adapter } = await baseAndAdapter(dir);
    const input = path.join(dir, 'in.jsonl');
    await writeFile(input, `${JSON.stringify({ prompt_ids: [1, 5, 6], chosen_ids: [7, 8, 2], rejected_ids: [9, 2] })}\n`);
    const onAdapter = runCli(['logprobs', '--model', adapter, '--input', input, '--backend', 'wasm']);
    assert.equal(onAdapter.status, 0, onAdapter.stderr);
    await mergeAdapterDir({ baseDir: path.join(dir, 'base'), adapterDir: adapter, outDir: path.join(dir, 'merged'), dtype: 'F32' });
    const onMerged = runCli(['logprobs', '--model', path.join(dir, 'merged'), '--input', input, '--backend', 'wasm']);
    const [a, m] = [JSON.parse(onAdapter.stdout), JSON.parse(onMerged.stdout)];
    assert.ok(Math.abs(a.policy_chosen_logps - m.policy_chosen_logps) < 1e-4 * Math.abs(m.policy_chosen_logps), `${a.policy_chosen_logps} vs ${m.policy_chosen_logps}`);
    assert.ok(Math.abs(a.policy_rejected_logps - m.policy_rejected_logps) < 1e-4 * Math.abs(m.policy_rejected_logps));
  });
});

test('adapter errors are UserErrors: a non-LoRA or DoRA config, a wrong shape, an unknown tensor', async () => {
  await withTempDir(async (dir) => {
    const { base, adapter } = await baseAndAdapter(dir);
    const configFile = path.join(adapter, 'adapter_config.json');
    const good = await readFile(configFile, 'utf8');
    const attempt = async (edit: Record<string, unknown>, pattern: RegExp) => {
      await writeFile(configFile, JSON.stringify({ ...JSON.parse(good), ...edit }));
      const { model } = await loadModelDir(base);
      const before = tf.memory().numTensors;
      await assert.rejects(loadAdapterDir(adapter, model), (e: unknown) => e instanceof UserError && pattern.test(e.message));
      assert.equal(tf.memory().numTensors, before, 'nothing leaked');
      model.dispose();
    };
    await attempt({ peft_type: 'PREFIX_TUNING' }, /peft_type' must be 'LORA'/);
    await attempt({ use_dora: true }, /DoRA is not supported/);
    await attempt({ r: 8 }, /lora_A\.weight' has shape \[4,\d+\], expected \[8,/);
    await attempt({ target_modules: ['q_proj'] }, /do not match the LoRA targets of this model .*unexpected weight '[^']*v_proj\.lora_A\.weight'/);
    const cli = runCli(['merge', '--adapter', adapter, '--out', path.join(dir, 'x'), '--dtype', 'int8']);
    assert.equal(cli.status, 1);
    assert.match(cli.stderr, /--dtype must be one of float32, bfloat16, float16/);
  });
});
