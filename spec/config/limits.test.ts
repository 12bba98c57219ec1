/** Config values that cannot mean anything are refused by `config check`: non-finite numbers, absurd sizes, alias bombs. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../core/config/index.ts';
import { UserError } from '../../core/errors.ts';
import { createLossRegistry } from '../../core/loss/index.ts';

const registry = await createLossRegistry();
const BASE = 'model:\n  init: {}\ndata:\n  train: train.jsonl\n';

async function rejects(text: string, pattern: RegExp, overrides: string[] = []) {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-limits-'));
  const file = path.join(dir, 'config.yaml');
  await writeFile(file, text);
  await assert.rejects(loadConfig(file, { registry, overrides }), (e: unknown) => e instanceof UserError && pattern.test(e.message) && !e.message.includes('\n'));
}

test('non-finite numbers (.inf, .nan, 1e999) anywhere in a config are refused, naming the key and line', async () => {
  await rejects(`${BASE}train:\n  learningRate: .inf\n`, /train\.learningRate must be a finite number \(got Infinity; line 6\)/);
  await rejects(`${BASE}loss: { name: dpo, beta: .nan }\n`, /loss\.beta must be a finite number \(got NaN; line 5\)/);
  await rejects(`{"model": {"init": {}}, "data": {"train": "x"}, "train": {"weightDecay": 1e999}}`, /train\.weightDecay must be a finite number/);
  await rejects(BASE, /train\.adamEpsilon must be a finite number \(got -Infinity; from --set train\.adamEpsilon=-\.inf\)/, ['train.adamEpsilon=-.inf']);
});

test('sizes beyond any machine are refused by the schema: batchSize 1e12, hidden_size 1e9, num_hidden_layers 1e6, maxLength 1e9', async () => {
  await rejects(`${BASE}train:\n  batchSize: 1000000000000\n`, /train\.batchSize must be <= 65536 \(got 1000000000000; line 6\)/);
  await rejects(`model:\n  init: { hidden_size: 1000000000 }\ndata:\n  train: x\n`, /model\.init\.hidden_size must be <= 65536/);
  await rejects(`model:\n  init: { num_hidden_layers: 1000000 }\ndata:\n  train: x\n`, /model\.init\.num_hidden_layers must be <= 1024/);
  await rejects(`model:\n  path: m\ndata:\n  train: x\n  maxLength: 1000000000\n`, /data\.maxLength must be <= 1048576/);
});

test('a YAML alias bomb is refused quickly with a one-line error', async () => {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 8; i++) {
    const prev = String.fromCharCode(96 + i);
    levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${new Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  const started = Date.now();
  await rejects(`${levels.join('\n')}\n`, /invalid YAML: .*alias/i);
  assert.ok(Date.now() - started < 5000);
});
