/** TRL's mean_token_accuracy: the fraction of completion tokens that are the model's argmax prediction. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { PreferenceBatch } from '../../core/data/batch.ts';
import { DEFAULT_LOSS } from '../../core/config/schema.ts';
import { createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { preferenceObjective, sftObjective } from '../../core/train/objectives.ts';
import { charConfig, randomArrays, randomBatch } from '../model/helpers.ts';

before(async () => {
  await selectBackend('wasm');
});

/** Counted in plain JS from the logits: per row, completion positions whose argmax is the token. */
function expectedAccuracy(model: CausalLM, batch: ReturnType<typeof randomBatch>, rows: number): number {
  const logits = tf.tidy(() => model.forward(tf.tensor2d(batch.inputIds, [batch.rows, batch.seqLen], 'int32')).arraySync()) as number[][][];
  let hits = 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    for (let t = 1; t < batch.seqLen; t++) {
      if (batch.completionMask[r * batch.seqLen + t] !== 1) continue;
      const scores = logits[r]![t - 1]!;
      const best = scores.indexOf(Math.max(...scores));
      hits += best === batch.inputIds[r * batch.seqLen + t] ? 1 : 0;
      total += 1;
    }
  }
  return hits / total;
}

test('mean_token_accuracy equals argmax hits over completion tokens (SFT: all rows; preference: the chosen half, as TRL)', async () => {
  const config = charConfig({ vocab_size: 6 }); // a tiny vocabulary, so some predictions are right
  const model = CausalLM.fromArrays(config, randomArrays(config, 3, 1));
  const batch = randomBatch(4, 10, 6, 5);
  const sft = tf.tidy(() => sftObjective(model, batch).metrics);
  assert.ok(Math.abs(sft.mean_token_accuracy! - expectedAccuracy(model, batch, 4)) < 1e-6, `${sft.mean_token_accuracy}`);
  assert.ok(sft.mean_token_accuracy! > 0 && sft.mean_token_accuracy! < 1);

  const registry = await createLossRegistry();
  const dpo = registry.get(DEFAULT_LOSS.name);
  const pairs: PreferenceBatch = { pairs: 2, tokens: batch } as PreferenceBatch;
  const pref = tf.tidy(() => preferenceObjective(model, pairs, dpo, resolveParams(dpo), { chosen: new Float32Array(2), rejected: new Float32Array(2) }).metrics);
  assert.ok(Math.abs(pref.mean_token_accuracy! - expectedAccuracy(model, batch, 2)) < 1e-6, `${pref.mean_token_accuracy}`);
  model.dispose();
});
