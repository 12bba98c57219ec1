/** `prefopt logprobs` and `prefopt generate` end to end on a tiny model directory made here. */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { sequenceLogprobs } from '../../core/model/logprobs.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { collateSequences } from '../../core/data/collate.ts';
import { charConfig, randomArrays, withTempDir, writeModelDir } from './helpers.ts';

const run = promisify(execFile);
const BIN = path.resolve('bin/prefopt.js');

async function prefopt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, PREFOPT_BACKEND: 'wasm' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('logprobs scores text and id records like the library does, and names the backend', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig({ num_key_value_heads: 2 });
    const arrays = randomArrays(config, 30);
    await writeModelDir(path.join(dir, 'm'), config, arrays);
    const input = path.join(dir, 'pairs.jsonl');
    await writeFile(input, [
      JSON.stringify({ prompt: '2+3=', chosen: '5', rejected: '6' }),
      '',
      JSON.stringify({ prompt_ids: [1, 20, 21], chosen_ids: [22, 23, 2], rejected_ids: [24, 2] }),
    ].join('\n'));
    const { code, stdout, stderr } = await prefopt(['logprobs', '--model', path.join(dir, 'm'), '--input', input, '--batch-size', '3']);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /backend: wasm/);
    const rows = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    // Expected values computed in-process from the same weights.
    await selectBackend('wasm');
    const model = CausalLM.fromArrays(config, arrays);
    const tok = createCharTokenizer();
    const enc = (s: string) => tok.encode(s);
    const seqs = [
      { ids: [1, ...enc('2+3=5'), 2], promptLength: 1 + enc('2+3=').length },
      { ids: [1, ...enc('2+3=6'), 2], promptLength: 1 + enc('2+3=').length },
      { ids: [1, 20, 21, 22, 23, 2], promptLength: 3 },
      { ids: [1, 20, 21, 24, 2], promptLength: 3 },
    ];
    const sums = tf.tidy(() => sequenceLogprobs(model, collateSequences(seqs, { padTokenId: 0 })).sums.arraySync());
    const got = rows.flatMap((r) => [r.policy_chosen_logps, r.policy_rejected_logps]);
    got.forEach((v: number, i: number) => assert.ok(Math.abs(v - sums[i]!) < 1e-4, `${i}: ${v} vs ${sums[i]}`));
    assert.deepEqual(rows.map((r) => [r.chosen_length, r.rejected_length]), [[2, 2], [3, 2]]);
    model.dispose();
  });
});

test('logprobs rejects a bad record with FILE:LINE: field and exit 1, writing nothing', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    await writeModelDir(path.join(dir, 'm'), config, randomArrays(config, 1));
    const input = path.join(dir, 'bad.jsonl');
    await writeFile(input, `${JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' })}\n${JSON.stringify({ prompt: 'a', chosen: 7, rejected: 'c' })}\n`);
    const bad = await prefopt(['logprobs', '--model', path.join(dir, 'm'), '--input', input]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, new RegExp(`${input.replaceAll('/', '\\/')}:2: field 'chosen' must be a string`));
    assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/, 'no stack trace');
  });
});

test('generate continues a --prompt and JSONL prompts reproducibly with a seed', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    await writeModelDir(path.join(dir, 'm'), config, randomArrays(config, 2, 0.5));
    const input = path.join(dir, 'prompts.jsonl');
    await writeFile(input, `${JSON.stringify({ prompt: '1+1=' })}\n${JSON.stringify({ prompt_ids: [1, 30] })}\n`);
    const args = ['generate', '--model', path.join(dir, 'm'), '--input', input, '--max-new-tokens', '5', '--temperature', '0.8', '--top-k', '10', '--seed', '4'];
    const [a, b] = await Promise.all([prefopt(args), prefopt(args)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    const rows = a.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    for (const r of rows) {
      assert.ok(r.completion_ids.length <= 5 && ['eos', 'length'].includes(r.finish_reason));
      assert.equal(r.completion, createCharTokenizer().decode(r.completion_ids));
    }
    const single = await prefopt(['generate', '--model', path.join(dir, 'm'), '--prompt', '1+1=', '--max-new-tokens', '3']);
    assert.equal(single.code, 0, single.stderr);
    assert.ok(single.stdout.endsWith('\n'));
    const neither = await prefopt(['generate', '--model', path.join(dir, 'm')]);
    assert.equal(neither.code, 1);
    assert.match(neither.stderr, /exactly one of --prompt TEXT or --input FILE/);
  });
});

test('logprobs of id records needs no tokenizer.json, and its output piped into `prefopt loss` is valid input', async () => {
  await withTempDir(async (dir) => {
    const config = charConfig();
    await writeModelDir(path.join(dir, 'm'), config, randomArrays(config, 5));
    await rm(path.join(dir, 'm', 'tokenizer.json'), { force: true });
    await writeFile(path.join(dir, 'ids.jsonl'), [
      JSON.stringify({ prompt_ids: [1, 20, 21], chosen_ids: [22, 23, 2], rejected_ids: [24, 2] }),
      JSON.stringify({ prompt_ids: [1, 30], chosen_ids: [31, 2], rejected_ids: [32, 33, 34, 2] }),
    ].join('\n'));
    const pipe = (logprobs: string, loss: string) =>
      spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" logprobs --model m --input ids.jsonl ${logprobs} | "${process.execPath}" "${BIN}" loss ${loss}`], {
        cwd: dir,
        env: { ...process.env, PREFOPT_FROM_SOURCE: '1', PREFOPT_BACKEND: 'cpu' },
        encoding: 'utf8',
      });
    // The model as its own reference: rho = 0, so DPO is ln 2 with rewards 0 for every pair.
    const dpo = pipe('--reference m', '--loss dpo');
    assert.equal(dpo.status, 0, dpo.stderr);
    const rows = dpo.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.ok(Math.abs(row.loss - Math.LN2) < 1e-6, `${row.loss}`);
      assert.equal(row.chosen_reward, 0);
    }
    // SimPO is reference-free and length-normalized: the lengths logprobs writes are used.
    const simpo = pipe('', '--loss simpo');
    assert.equal(simpo.status, 0, simpo.stderr);
    assert.equal(simpo.stdout.trim().split('\n').length, 2);
    // Without --reference, DPO names the missing reference field.
    const missing = pipe('', '--loss dpo');
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /<stdin>:1: missing field 'ref_chosen_logps' \(loss 'dpo' compares with a reference/);
  });
});
