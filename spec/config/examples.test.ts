import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import YAML from 'yaml';
import { buildConfigSchema, loadConfig, renderConfigDocs } from '../../core/config/index.ts';
import { loadPreferenceDataset, loadSftDataset } from '../../core/data/datasets.ts';
import { exactMatch } from '../../arena/task/index.ts';
import { createLossRegistry } from '../../core/loss/index.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { charTokenizer } from '../data/char-tokenizer.ts';
import { runCli } from '../helpers/cli.ts';

const CONFIGS = path.join(PACKAGE_ROOT, 'configs');
const examples = readdirSync(CONFIGS).filter((f) => f.endsWith('.yaml'));

test('example configs exist for dpo, minor-dpo, ipo and hinge (and sft, a mixture), each valid, with existing data files', async () => {
  for (const name of ['dpo', 'minor-dpo', 'ipo', 'hinge', 'sft', 'rpo']) assert.ok(examples.includes(`${name}.yaml`), `configs/${name}.yaml`);
  for (const file of examples) {
    const { config } = await loadConfig(path.join(CONFIGS, file));
    assert.ok(existsSync(config.data.train), `${file}: ${config.data.train}`);
    assert.ok(existsSync(config.data.eval!), `${file}: ${config.data.eval}`);
    const expected = file.replace('.yaml', '');
    if (!['sft', 'rpo'].includes(expected)) assert.equal((config.loss as { name: string }).name, expected, file);
    assert.ok(readFileSync(path.join(CONFIGS, file), 'utf8').split('\n').filter((l) => l.includes('#')).length >= 3, `${file} is commented`);
  }
});

test('the bundled dataset is small, valid, fits maxLength 256 and its chosen answers score 100% / rejected 0%', async () => {
  const dir = path.join(CONFIGS, 'data/arith');
  // Only the bundled data counts (reference log-prob caches written beside it by training runs do not).
  const bundled = readdirSync(dir).filter((f) => /^[a-z-]+\.jsonl$/.test(f));
  const total = bundled.reduce((sum, f) => sum + statSync(path.join(dir, f)).size, 0);
  assert.ok(total < 200_000, `${total} bytes`);
  const tok = charTokenizer();
  for (const split of ['train', 'eval', 'test']) {
    const { examples: pairs, stats } = await loadPreferenceDataset(path.join(dir, `${split}.jsonl`), tok, { maxLength: 256, format: 'standard' });
    assert.equal(stats.kept, stats.records);
    assert.equal(stats.truncated, 0);
    assert.ok(pairs.length >= 50);
  }
  const { stats } = await loadSftDataset(path.join(dir, 'sft-train.jsonl'), tok, { maxLength: 256 });
  assert.equal(stats.kept, 300);
  const records = readFileSync(path.join(dir, 'test.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(exactMatch(records.map((r) => r.chosen), records.map((r) => r.chosen)).accuracy, 1);
  assert.equal(exactMatch(records.map((r) => r.rejected), records.map((r) => r.chosen)).accuracy, 0);
});

test('docs/config.md is generated from the schema and up to date (regenerate: npx prefopt config docs --out docs/config.md)', () => {
  const docs = readFileSync(path.join(PACKAGE_ROOT, 'docs/config.md'), 'utf8');
  assert.equal(docs, renderConfigDocs());
  for (const key of ['train.learningRate', 'data.maxLength', 'model.init.hidden_size', 'train.precomputeReference']) assert.ok(docs.includes(`\`${key}\``), key);
});

test('the exported schema is a valid JSON Schema with one branch per loss; YAML configs with $schema validate against it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-schema-'));
  const out = path.join(dir, 'config.schema.json');
  const r = runCli(['config', 'schema', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const schema = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(schema, buildConfigSchema(await createLossRegistry()));
  const validate = new Ajv({ strict: false }).compile(schema);
  const config = YAML.parse(readFileSync(path.join(CONFIGS, 'minor-dpo.yaml'), 'utf8'));
  assert.ok(validate({ $schema: './config.schema.json', ...config }), JSON.stringify(validate.errors));
  assert.ok(!validate({ ...config, loss: { name: 'minor-dpo', beta: 0 } }));
  assert.ok(!validate({ ...config, loss: { name: 'minor-dpo', labelSmoothing: 0.1 } }), 'params of another loss are unknown keys');
});

test('prefopt config check prints the resolved config, and reports errors on one line', () => {
  const run = (...args: string[]) => runCli(['config', 'check', ...args]);
  const ok = run('--config', path.join(CONFIGS, 'ipo.yaml'), '--set', 'loss.beta=0.5');
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout).loss, { name: 'ipo', beta: 0.5, lengthNormalize: true });
  const bad = run('--config', path.join(CONFIGS, 'ipo.yaml'), '--set', 'train.schedule=step');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^prefopt: .*ipo\.yaml: train\.schedule must be one of "linear", "cosine", "constant" \(got "step"; from --set train\.schedule=step\)\n$/);
});
