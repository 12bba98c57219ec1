/** Model directories in HF layout: bit-exact round trips, HF variants, half-precision loads, errors. */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { loadModelDir, saveModelDir } from '../../core/model/checkpoint.ts';
import type { LlamaConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { readSafetensors } from '../../core/model/safetensors.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { charConfig, randomArrays, randomBatch, withTempDir, writeModelDir } from './helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

const sumsOf = (model: CausalLM, seed = 3) => tf.tidy(() => sequenceLogprobs(model, randomBatch(3, 9, model.config.vocab_size, seed)).sums.arraySync()) as number[];

test('a saved model directory reloads bit-exactly (weights, config, tokenizer) and gives the same log-probs', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig({ model_type: 'qwen2', tie_word_embeddings: false });
    const model = CausalLM.fromArrays(config, randomArrays(config, 5));
    const tokenizer = createCharTokenizer();
    const target = path.join(dir, 'ckpt');
    await saveModelDir(target, model, tokenizer);
    assert.deepEqual((await readdir(target)).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const loaded = await loadModelDir(target);
    for (const [name, v] of model.params) {
      const w = loaded.model.params.get(name)!;
      assert.deepEqual(new Uint8Array(w.dataSync().buffer), new Uint8Array(v.dataSync().buffer), name);
    }
    assert.equal(loaded.config.model_type, 'qwen2');
    assert.deepEqual(sumsOf(loaded.model), sumsOf(model));
    assert.deepEqual(loaded.tokenizer.encode('12+3=15\n'), tokenizer.encode('12+3=15\n'));
    assert.equal(loaded.tokenizer.eosTokenId, tokenizer.eosTokenId);
    // saving the loaded model again gives the identical weights file
    const again = path.join(dir, 'again');
    await saveModelDir(again, loaded.model, loaded.tokenizer);
    assert.deepEqual(await readFile(path.join(again, 'model.safetensors')), await readFile(path.join(target, 'model.safetensors')));
    const json = JSON.parse(await readFile(path.join(target, 'config.json'), 'utf8'));
    assert.deepEqual(json.architectures, ['Qwen2ForCausalLM']);
    model.dispose();
    loaded.model.dispose();
  });
});

const LAYOUTS: Array<[string, Partial<LlamaConfig>]> = [
  ['llama untied MHA', { model_type: 'llama', tie_word_embeddings: false, num_key_value_heads: 4 }],
  ['llama tied GQA', { model_type: 'llama', tie_word_embeddings: true, num_key_value_heads: 2 }],
  ['qwen2 tied GQA', { model_type: 'qwen2', tie_word_embeddings: true, num_key_value_heads: 1 }],
  ['qwen2 untied GQA', { model_type: 'qwen2', tie_word_embeddings: false, num_key_value_heads: 2 }],
];

for (const [label, overrides] of LAYOUTS) {
  test(`a tiny HF-layout checkpoint (${label}) loads and gives finite negative log-probs`, async () => {
    await withTempDir(async (dir) => {
      const config = charConfig(overrides);
      await writeModelDir(dir, config, randomArrays(config, 2));
      const { model } = await loadModelDir(dir);
      const sums = sumsOf(model);
      for (const s of sums) assert.ok(Number.isFinite(s) && s < 0, `finite negative: ${s}`);
      assert.equal(model.params.has('lm_head.weight'), !config.tie_word_embeddings);
      model.dispose();
    });
  });
}

test('BF16 and F16 checkpoints load within rounding of the F32 weights', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    const arrays = randomArrays(config, 6);
    const f32 = CausalLM.fromArrays(config, arrays);
    const expected = sumsOf(f32);
    for (const [dtype, bits] of [['F16', 11], ['BF16', 8]] as const) {
      await writeModelDir(path.join(dir, dtype), config, arrays, dtype);
      const { model } = await loadModelDir(path.join(dir, dtype));
      for (const [name, { data }] of arrays) {
        const got = model.params.get(name)!.dataSync();
        data.forEach((v, i) => assert.ok(Math.abs(got[i]! - v) <= Math.abs(v) * 2 ** -bits + 2 ** -24, `${dtype} ${name}[${i}]`));
      }
      const sums = sumsOf(model);
      sums.forEach((s, i) => assert.ok(Math.abs(s - expected[i]!) / Math.abs(expected[i]!) < (dtype === 'F16' ? 1e-2 : 5e-2), `${dtype}: ${s} vs ${expected[i]}`));
      model.dispose();
    }
    f32.dispose();
  });
});

test('BF16 in, BF16 out: a BF16 directory saved in its own dtype comes back bit-identical, with config dtype, generation config and model card', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    await writeModelDir(path.join(dir, 'in'), config, randomArrays(config, 6), 'BF16');
    await writeFile(path.join(dir, 'in', 'generation_config.json'), JSON.stringify({ eos_token_id: 2, max_new_tokens: 7 }));
    const loaded = await loadModelDir(path.join(dir, 'in'));
    assert.equal(loaded.dtype, 'BF16');
    await saveModelDir(path.join(dir, 'out'), loaded.model, loaded.tokenizer, { dtype: loaded.dtype, generationConfig: loaded.generationConfig, readme: '# card\n' });
    const written = await readSafetensors(path.join(dir, 'out', 'model.safetensors'));
    const original = await readSafetensors(path.join(dir, 'in', 'model.safetensors'));
    for (const [name, tensor] of original.tensors) {
      assert.equal(written.tensors.get(name)!.dtype, 'BF16', name);
      assert.deepEqual(written.tensors.get(name)!.data, tensor.data, name);
    }
    const json = JSON.parse(await readFile(path.join(dir, 'out', 'config.json'), 'utf8'));
    assert.equal(json.torch_dtype, 'bfloat16');
    assert.equal(json.dtype, 'bfloat16');
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'out', 'generation_config.json'), 'utf8')), { eos_token_id: 2, max_new_tokens: 7 });
    assert.equal(await readFile(path.join(dir, 'out', 'README.md'), 'utf8'), '# card\n');
    const again = await loadModelDir(path.join(dir, 'out'));
    assert.equal(again.dtype, 'BF16');
    loaded.model.dispose();
    again.model.dispose();
  });
});

test('without a generation_config.json, one is written from the config token ids (as transformers derives it)', async () => {
  await withTempDir(async (dir) => {
    const model = CausalLM.random(charConfig(), 1);
    await saveModelDir(dir, model, createCharTokenizer());
    assert.deepEqual(JSON.parse(await readFile(path.join(dir, 'generation_config.json'), 'utf8')), { _from_model_config: true, bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });
    assert.equal((await loadModelDir(dir)).dtype, 'F32');
    model.dispose();
  });
});

test('a tied checkpoint that also stores lm_head.weight loads (the copy is ignored)', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig({ tie_word_embeddings: true });
    const arrays = randomArrays(config, 2);
    arrays.set('lm_head.weight', arrays.get('model.embed_tokens.weight')!);
    await writeModelDir(dir, config, arrays);
    const { model } = await loadModelDir(dir);
    assert.equal(model.params.has('lm_head.weight'), false);
    model.dispose();
  });
});

test('a checkpoint missing a weight or with a bad config is a UserError naming the problem', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    const arrays = randomArrays(config, 2);
    arrays.delete('model.layers.1.mlp.up_proj.weight');
    await writeModelDir(dir, config, arrays);
    await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof UserError && /missing weight 'model\.layers\.1\.mlp\.up_proj\.weight'/.test(e.message));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...config, num_attention_heads: 'four' }));
    await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof UserError && /config\.json: field 'num_attention_heads' must be integer/.test(e.message));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...config, rope_scaling: { type: 'llama3' } }));
    await assert.rejects(loadModelDir(dir), (e: unknown) => e instanceof UserError && /rope_scaling is not supported/.test(e.message));
  });
  await assert.rejects(loadModelDir('/nonexistent/model'), (e: unknown) => e instanceof UserError && /config\.json: cannot read/.test(e.message));
});

test('saving replaces an existing directory atomically and leaves no temporary files', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    const target = path.join(dir, 'm');
    const a = CausalLM.random(config, 1);
    const b = CausalLM.random(config, 2);
    await saveModelDir(target, a, createCharTokenizer());
    await saveModelDir(target, b, createCharTokenizer());
    assert.deepEqual(await readdir(dir), ['m']);
    const { tensors } = await readSafetensors(path.join(target, 'model.safetensors'));
    assert.deepEqual(tensors.get('model.norm.weight')!.data, b.params.get('model.norm.weight')!.dataSync());
    assert.deepEqual(tensors.get('model.embed_tokens.weight')!.data, b.params.get('model.embed_tokens.weight')!.dataSync());
    a.dispose();
    b.dispose();
  });
});
