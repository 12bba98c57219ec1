/** Model loading never returns a silent wrong answer: every mismatch between files is an error naming what is wrong. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { charTokenizerFiles, createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { loadModelDir, saveModelDir } from '../../core/model/checkpoint.ts';
import { parameterCount, parseConfig, tinyConfig } from '../../core/model/config.ts';
import { generate } from '../../core/model/generate.ts';
import { HfTokenizer } from '../../core/model/hf-tokenizer.ts';
import { CausalLM, parameterShapes } from '../../core/model/llama.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { AdamW } from '../../core/train/optimizer.ts';
import { charConfig, randomArrays, withTempDir, writeModelDir } from './helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('a config with fewer layers than the weights, or a weights file with an extra tensor, is an error naming the tensors', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig({ num_hidden_layers: 2 });
    await writeModelDir(dir, config, randomArrays(config, 1));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 1 }));
    await assert.rejects(loadModelDir(dir), userError(/weights do not match the config \(1 layers, hidden_size 32\): unexpected weight 'model\.layers\.1\.[a-z_.]+', /));

    const arrays = randomArrays(config, 1);
    arrays.set('extra.weight', { shape: [2], data: new Float32Array(2) });
    await writeModelDir(dir, config, arrays);
    await assert.rejects(loadModelDir(dir), userError(/unexpected weight 'extra\.weight'/));
  });
});

test('tie_word_embeddings with a stored lm_head.weight that differs from the embedding is an error (it would be ignored)', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig({ tie_word_embeddings: true });
    const arrays = randomArrays(config, 1);
    arrays.set('lm_head.weight', randomArrays(charConfig({ tie_word_embeddings: false }), 9).get('lm_head.weight')!);
    await writeModelDir(dir, config, arrays);
    await assert.rejects(loadModelDir(dir), userError(/tie_word_embeddings is true, but .* holds an lm_head\.weight that differs from model\.embed_tokens\.weight/));
  });
});

test('NaN or infinite weights are an error naming the tensor and index; saving them is refused', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    for (const bad of [NaN, Infinity, -Infinity]) {
      const arrays = randomArrays(config, 1);
      arrays.get('model.layers.0.mlp.down_proj.weight')!.data[5] = bad;
      await writeModelDir(dir, config, arrays);
      await assert.rejects(loadModelDir(dir), userError(new RegExp(`weight 'model\\.layers\\.0\\.mlp\\.down_proj\\.weight' holds ${bad} at index 5`)));
    }
    const model = CausalLM.fromArrays(config, randomArrays(config, 2));
    model.params.get('model.norm.weight')!.assign(tf.fill([config.hidden_size], NaN));
    await assert.rejects(saveModelDir(path.join(dir, 'out'), model, createCharTokenizer()), userError(/refusing to save a model whose weight 'model\.norm\.weight' holds NaN/));
    model.dispose();
  });
});

test('a tokenizer with an empty vocabulary, a special token outside its vocabulary, or ids >= vocab_size, is refused at load', async () => {
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  const empty = structuredClone(tokenizerJson) as any;
  empty.model.vocab = {};
  assert.throws(() => new HfTokenizer(empty, {}, { eos: 0 }), userError(/vocabulary is empty \(only special tokens\)/));
  empty.added_tokens = [];
  assert.throws(() => new HfTokenizer(empty, {}, { eos: 0 }), userError(/vocabulary is empty/));
  assert.throws(() => new HfTokenizer(tokenizerJson, { ...tokenizerConfig, eos_token: '</s>' }), userError(/eos_token "<\/s>" \(tokenizer_config\.json\) is not a token of the vocabulary/));
  await withTempDir(async (dir) => {
    const config = charConfig({ vocab_size: 50 }); // the char tokenizer has 100 ids
    await writeModelDir(dir, config, randomArrays(config, 1));
    await assert.rejects(loadModelDir(dir), userError(/the tokenizer has 100 token ids but the model's vocab_size is 50/));
  });
});

test('sizes are checked from the config before anything is allocated: hidden_size 1e9, num_hidden_layers 1e6', () => {
  const started = Date.now();
  assert.throws(() => tinyConfig({ hidden_size: 1e9, num_attention_heads: 1e3 }), userError(/parameters .* the limit is 1e\+9/));
  assert.throws(() => tinyConfig({ num_hidden_layers: 1e6 }), userError(/num_hidden_layers 1000000\); the limit/));
  assert.ok(Date.now() - started < 1000);
});

test('parameterCount (arithmetic) equals the sizes of parameterShapes for llama/qwen2, tied/untied, GQA', () => {
  for (const overrides of [{}, { model_type: 'qwen2' as const }, { tie_word_embeddings: true }, { num_key_value_heads: 1, head_dim: 16 }]) {
    const config = tinyConfig(overrides);
    const counted = [...parameterShapes(config).values()].reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(parameterCount(config), counted, JSON.stringify(overrides));
  }
  assert.throws(() => parseConfig({ ...tinyConfig(), hidden_size: 64, num_attention_heads: 4, vocab_size: 5e6, intermediate_size: 1e5, num_hidden_layers: 200 }), UserError);
});

test('a sharded index may only name shard files inside the model directory', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    await writeModelDir(dir, config, randomArrays(config, 1));
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, 'model.safetensors'));
    for (const shard of ['../../etc/passwd', '/etc/passwd', 'sub/../../x.safetensors', 7]) {
      await writeFile(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': shard } }));
      await assert.rejects(loadModelDir(dir), userError(/shards must be files inside the model directory/), String(shard));
    }
  });
});

test('max_position_embeddings is respected: long prompts are refused, generation stops at the last position, forward refuses longer sequences', async () => {
  const config = charConfig({ max_position_embeddings: 12 });
  const model = CausalLM.fromArrays(config, randomArrays(config, 3));
  try {
    await assert.rejects(generate(model, [new Array(12).fill(5)], { maxNewTokens: 1, eosTokenId: 999 }), userError(/prompt 1 has 12 tokens; the model's max_position_embeddings \(12\)/));
    const [out] = await generate(model, [[1, 5, 6]], { maxNewTokens: 100_000, eosTokenId: 999 });
    assert.equal(out!.ids.length, 9);
    assert.equal(out!.finishReason, 'length');
    assert.throws(() => model.forward(tf.zeros([1, 13], 'int32') as tf.Tensor2D), userError(/13 tokens is longer than the model's max_position_embeddings \(12\)/));
  } finally {
    model.dispose();
  }
});

test('optimizer state that lacks a weight or has another shape is a UserError', () => {
  const config = charConfig();
  const model = CausalLM.fromArrays(config, randomArrays(config, 3));
  const optimizer = new AdamW(model.params, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  try {
    assert.throws(() => optimizer.restore(1, new Map()), userError(/optimizer state lacks 'm\.model\.embed_tokens\.weight'/));
    const wrong = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const name of model.params.keys()) for (const k of ['m', 'v']) wrong.set(`${k}.${name}`, { shape: [1], data: new Float32Array(1) });
    assert.throws(() => optimizer.restore(1, wrong), userError(/has shape \[1\], expected/));
  } finally {
    optimizer.dispose();
    model.dispose();
  }
});
