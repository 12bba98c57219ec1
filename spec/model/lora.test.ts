/** LoRA adapters: PEFT's init and names, frozen base weights, merging, dropout, the adapter-free reference. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { LoraAdapters, loraTargetWeights } from '../../core/model/lora.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { computeGradients } from '../../core/train/gradients.ts';
import { charConfig, prng, randomArrays, randomBatch } from './helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

const ALL = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
const batch = randomBatch(3, 9, 100, 4);
const sumsOf = (model: CausalLM) => tf.tidy(() => sequenceLogprobs(model, batch).sums.arraySync()) as number[];

function modelWithLora(settings = { r: 4, alpha: 8, dropout: 0, targetModules: ALL }, config = charConfig({ model_type: 'qwen2' })) {
  const model = CausalLM.fromArrays(config, randomArrays(config, 5));
  const lora = LoraAdapters.attach(model, settings, 11);
  return { model, lora };
}

/** Gives every B random values, so the adapters change the model. */
function randomizeB(lora: LoraAdapters, seed: number): void {
  const rand = prng(seed);
  for (const layer of lora.layers.values()) layer.b.assign(tf.tensor(Float32Array.from({ length: layer.b.size }, () => rand() - 0.5), layer.b.shape));
}

test('PEFT init: A is uniform within +-1/sqrt(in_features) (kaiming_uniform_, a=sqrt(5)), B is zero, so the model starts unchanged', () => {
  const config = charConfig({ model_type: 'qwen2' });
  const plain = CausalLM.fromArrays(config, randomArrays(config, 5));
  const { model, lora } = modelWithLora();
  for (const [weight, layer] of lora.layers) {
    const bound = 1 / Math.sqrt(model.params.get(weight)!.shape[1]!);
    const a = layer.a.dataSync();
    assert.ok(a.every((v) => Math.abs(v) <= bound), weight);
    assert.ok(Math.max(...a.map(Math.abs)) > 0.8 * bound, `${weight}: A fills its range`);
    assert.ok(layer.b.dataSync().every((v) => v === 0));
  }
  assert.deepEqual(sumsOf(model), sumsOf(plain));
  model.dispose();
  plain.dispose();
});

test('targets: PEFT tensor names per layer, a list matches module names, a string is a full-match regex', () => {
  const { model, lora } = modelWithLora({ r: 2, alpha: 2, dropout: 0, targetModules: ['q_proj', 'v_proj'] });
  assert.deepEqual([...lora.variables().keys()].slice(0, 4), [
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
    'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
    'base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight',
    'base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight',
  ]);
  assert.equal(lora.layers.size, 2 * model.config.num_hidden_layers);
  assert.deepEqual(lora.variables().get('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight')!.shape, [16, 2]);
  assert.deepEqual(loraTargetWeights(model.config, String.raw`.*\.1\.mlp\.(up|down)_proj`), ['model.layers.1.mlp.up_proj.weight', 'model.layers.1.mlp.down_proj.weight']);
  assert.throws(() => loraTargetWeights(model.config, ['lm_head']), UserError);
  assert.throws(() => loraTargetWeights(model.config, 'nothing'), /match no linear layer/);
  model.dispose();
});

test('base weights are frozen: gradients are computed for the adapter weights only, and B gets a non-zero one', () => {
  const { model, lora } = modelWithLora();
  const { grads } = computeGradients(model, () => {
    const { sums } = sequenceLogprobs(model, batch);
    return { loss: tf.neg(tf.sum(sums)) as tf.Scalar, metrics: {} };
  }, 1);
  assert.deepEqual([...grads.keys()].sort(), [...lora.variables().keys()].sort());
  const bGrad = grads.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!;
  assert.ok(tf.tidy(() => tf.max(tf.abs(bGrad)).dataSync()[0]!) > 0);
  for (const g of grads.values()) g.dispose();
  model.dispose();
});

test('frozen base weights cost no weight-gradient matMuls: a LoRA step runs fewer matMuls than full fine-tuning', async () => {
  const config = charConfig({ model_type: 'qwen2' });
  const loss = (model: CausalLM) => () => ({ loss: tf.neg(tf.sum(sequenceLogprobs(model, batch).sums)) as tf.Scalar, metrics: {} });
  const matMuls = async (model: CausalLM) => {
    const profile = await tf.profile(() => {
      for (const g of computeGradients(model, loss(model), 1).grads.values()) g.dispose();
    });
    return profile.kernels.filter((k) => k.name === 'BatchMatMul').length;
  };
  const full = CausalLM.fromArrays(config, randomArrays(config, 5));
  const { model } = modelWithLora({ r: 2, alpha: 2, dropout: 0, targetModules: ['q_proj'] });
  const projections = 7 * config.num_hidden_layers + 1; // and the LM head
  // Full: 3 matMuls per projection (forward, dx, dW). LoRA: at most 2 per projection (no dW; no dx
  // either below the lowest adapter), plus the adapters' 6 each (2 forward, 4 backward).
  const [f, l] = [await matMuls(full), await matMuls(model)];
  assert.ok(f - l >= projections - 6 * config.num_hidden_layers, `full ${f} vs LoRA ${l} matMuls`);
  full.dispose();
  model.dispose();
});

test('adapters disabled give the base model; merging folds W + (alpha/r) B A so the merged model equals the adapted one', () => {
  const config = charConfig({ model_type: 'qwen2' });
  const plain = CausalLM.fromArrays(config, randomArrays(config, 5));
  const { model, lora } = modelWithLora();
  randomizeB(lora, 7);
  const adapted = sumsOf(model);
  const base = sumsOf(plain);
  assert.ok(adapted.some((v, i) => Math.abs(v - base[i]!) > 1e-2), 'the adapters change the log-probs');
  assert.deepEqual(model.withAdaptersDisabled(() => sumsOf(model)), base);
  lora.merge(model);
  assert.equal(model.trainable, model.params);
  const merged = sumsOf(model);
  for (let i = 0; i < merged.length; i++) assert.ok(Math.abs(merged[i]! - adapted[i]!) <= 1e-4 * Math.max(1, Math.abs(adapted[i]!)), `${merged[i]} vs ${adapted[i]}`);
  model.dispose();
  plain.dispose();
});

test('dropout acts on the adapter input during training only, with masks fixed by the microbatch number', () => {
  const { model, lora } = modelWithLora({ r: 4, alpha: 8, dropout: 0.5, targetModules: ALL });
  randomizeB(lora, 8);
  const evaluation = sumsOf(model);
  const first = lora.withDropout(3, () => sumsOf(model));
  assert.notDeepEqual(first, evaluation);
  assert.deepEqual(lora.withDropout(3, () => sumsOf(model)), first);
  assert.notDeepEqual(lora.withDropout(4, () => sumsOf(model)), first);
  assert.deepEqual(sumsOf(model), evaluation);
  model.dispose();
});

test('the LoRA reference is the same model with adapters off: it costs no tensor memory, a frozen copy costs every weight', () => {
  const { model } = modelWithLora();
  const before = tf.memory().numBytes;
  model.withAdaptersDisabled(() => sumsOf(model));
  assert.equal(tf.memory().numBytes, before);
  const copy = CausalLM.fromArrays(model.config, new Map([...model.params].map(([n, v]) => [n, { shape: v.shape, data: v.dataSync() as Float32Array }])));
  assert.ok(tf.memory().numBytes - before >= model.parameterCount() * 4);
  copy.dispose();
  model.dispose();
});

test('no tensor leaks: a forward pass with adapters and dropout leaves the tensor count flat', () => {
  const { model, lora } = modelWithLora({ r: 4, alpha: 8, dropout: 0.1, targetModules: ALL });
  const count = tf.memory().numTensors;
  lora.withDropout(1, () => sumsOf(model));
  sumsOf(model);
  assert.equal(tf.memory().numTensors, count);
  model.dispose();
});
