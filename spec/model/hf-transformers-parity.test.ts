/**
 * Parity with Hugging Face transformers itself. spec/fixtures/hf/ holds tiny checkpoints written by
 * transformers 5.17 (`save_pretrained`, safetensors; F32 and BF16; Llama tied + GQA, Llama untied
 * + MHA with rope_theta 5e5, Qwen2 with q/k/v biases and rope_theta 1e6) and the completion
 * log-prob sums transformers computed for them in float64 (bench/hf-parity/make_reference.py, run on
 * a machine with torch). prefopt must load each directory as written and reproduce those sums.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { collateSequences } from '../../core/data/collate.ts';
import { loadModelDir } from '../../core/model/checkpoint.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { REPO_ROOT } from '../helpers/cli.ts';

const FIXTURES = path.join(REPO_ROOT, 'spec/fixtures/hf');

interface Expected {
  variant: string;
  sequences: Array<{ ids: number[]; promptLength: number; sum: number }>;
}

for (const backend of ['cpu', 'wasm']) {
  describe(`transformers-written checkpoints on ${backend}`, () => {
    before(async () => {
      await selectBackend(backend);
    });
    for (const variant of readdirSync(FIXTURES).sort()) {
      test(`${variant}: loads as written and matches transformers' completion log-probs (rel 1e-4)`, async () => {
        const dir = path.join(FIXTURES, variant);
        const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
        const { model, tokenizer } = await loadModelDir(dir);
        try {
          const batch = collateSequences(expected.sequences, { padTokenId: tokenizer.padTokenId });
          const sums = tf.tidy(() => sequenceLogprobs(model, batch).sums.dataSync() as Float32Array);
          expected.sequences.forEach((sequence, i) => {
            const relative = Math.abs(sums[i]! - sequence.sum) / Math.abs(sequence.sum);
            assert.ok(relative < 1e-4, `sequence ${i}: prefopt ${sums[i]} vs transformers ${sequence.sum} (relative ${relative.toExponential(2)})`);
          });
        } finally {
          model.dispose();
        }
      });
    }
  });
}

describe('transformers 5 config fields', () => {
  test('rope_parameters.rope_theta is read; a scaled rope_type or a conflicting rope_theta is refused', async () => {
    const { parseConfig } = await import('../../core/model/config.ts');
    const base = JSON.parse(readFileSync(path.join(FIXTURES, 'qwen2-untied-gqa-f32', 'config.json'), 'utf8'));
    assert.equal(parseConfig(base).rope_theta, 1e6);
    assert.throws(() => parseConfig({ ...base, rope_parameters: { rope_type: 'linear', factor: 2 } }, 'c.json'), /c\.json: field 'rope_parameters': rope_type 'linear' is not supported/);
    assert.throws(() => parseConfig({ ...base, rope_theta: 1e4 }, 'c.json'), /rope_theta 10000 and rope_parameters.rope_theta 1000000 disagree/);
  });
});
