/** Generation: KV cache vs full recompute, batching over ragged prompts, seeded sampling, no leaks. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { tinyConfig } from '../../core/model/config.ts';
import { generate, pickToken } from '../../core/model/generate.ts';
import { createRng } from '../../core/data/random.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { UserError } from '../../core/errors.ts';
import { randomArrays } from './helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

const config = tinyConfig({ vocab_size: 40, eos_token_id: 2, num_key_value_heads: 2 });
const prompts = [[5, 6, 7], [9], [11, 3, 8, 20, 31, 4, 17], [1, 22]];

test('greedy generation with the KV cache equals generation that recomputes the whole sequence', async () => {
  const model = CausalLM.fromArrays(config, randomArrays(config, 13, 0.5));
  const cached = await generate(model, prompts, { maxNewTokens: 12, eosTokenId: 39 });
  const full = await generate(model, prompts, { maxNewTokens: 12, eosTokenId: 39, useCache: false });
  assert.deepEqual(cached, full);
  assert.ok(new Set(cached.map((g) => g.ids.join(','))).size > 1, 'different prompts give different continuations');
  model.dispose();
});

test('batched generation over prompts of different lengths equals generating each prompt alone', async () => {
  const model = CausalLM.fromArrays(config, randomArrays(config, 14, 0.5));
  const batched = await generate(model, prompts, { maxNewTokens: 10, eosTokenId: 39 });
  for (const [i, prompt] of prompts.entries()) {
    const [alone] = await generate(model, [prompt], { maxNewTokens: 10, eosTokenId: 39 });
    assert.deepEqual(batched[i], alone, `prompt ${i}`);
  }
  const small = await generate(model, prompts, { maxNewTokens: 10, eosTokenId: 39, batchSize: 3 });
  assert.deepEqual(small, batched, 'results do not depend on the batch size');
  model.dispose();
});

test('generation stops at EOS (not included) or at max new tokens', async () => {
  const model = CausalLM.fromArrays(config, randomArrays(config, 15, 0.5));
  const [first] = await generate(model, [prompts[0]!], { maxNewTokens: 6, eosTokenId: 39 });
  assert.equal(first!.finishReason, 'length');
  assert.equal(first!.ids.length, 6);
  // Declare the greedy model's third token to be EOS: generation must stop right before it.
  const [stopped] = await generate(model, [prompts[0]!], { maxNewTokens: 6, eosTokenId: first!.ids[2]! });
  assert.equal(stopped!.finishReason, 'eos');
  assert.deepEqual(stopped!.ids, first!.ids.slice(0, first!.ids.indexOf(first!.ids[2]!)));
  model.dispose();
});

test('sampling is reproducible with a seed, differs across seeds, and respects top-k', async () => {
  const model = CausalLM.fromArrays(config, randomArrays(config, 16, 0.2));
  const run = (seed: number, topK = 0) => generate(model, prompts, { maxNewTokens: 8, temperature: 1.5, topK, seed, eosTokenId: 39 });
  const a = await run(1);
  assert.deepEqual(await run(1), a);
  assert.notDeepEqual(await run(2), a);
  const greedy = await generate(model, prompts, { maxNewTokens: 8, eosTokenId: 39 });
  assert.deepEqual(await run(3, 1), greedy, 'top-k 1 is greedy');
  model.dispose();
});

test('pickToken: top-k sampling only returns one of the k most likely tokens', () => {
  const logits = Float32Array.from([0.1, 3, -1, 2.5, 0, 2.9]);
  const rng = createRng(5);
  const random = () => rng.next();
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(pickToken(logits, 2, 3, random));
  assert.deepEqual([...seen].sort(), [1, 3, 5]);
  assert.equal(pickToken(logits, 0, 0, random), 1);
});

test('generation leaks no tensors and rejects bad options with UserErrors', async () => {
  const model = CausalLM.random(config, 3);
  await generate(model, prompts, { maxNewTokens: 3 });
  const before = tf.memory().numTensors;
  await generate(model, prompts, { maxNewTokens: 5, temperature: 0.7, topK: 5, seed: 1 });
  await generate(model, prompts, { maxNewTokens: 5, useCache: false });
  assert.equal(tf.memory().numTensors, before);
  await assert.rejects(generate(model, [[]], { maxNewTokens: 3 }), (e: unknown) => e instanceof UserError && /prompt 1 is empty/.test(e.message));
  await assert.rejects(generate(model, [[99]], { maxNewTokens: 3 }), (e: unknown) => e instanceof UserError && /outside the vocabulary/.test(e.message));
  await assert.rejects(generate(model, [[1]], { maxNewTokens: 0 }), UserError);
  await assert.rejects(generate(model, [[1]], { maxNewTokens: 2, temperature: -1 }), UserError);
  model.dispose();
});
