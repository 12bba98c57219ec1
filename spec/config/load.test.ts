import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { configuredLoss, loadConfig } from '../../core/config/index.ts';
import { loadOptionsFrom } from '../../core/data/datasets.ts';
import { UserError } from '../../core/errors.ts';
import { createLossRegistry } from '../../core/loss/index.ts';

const registry = await createLossRegistry();

async function configFile(text: string, name = 'config.yaml'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-config-'));
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

const MINIMAL = 'model:\n  path: model\ndata:\n  train: data/train.jsonl\n';

async function rejects(text: string, message: string | RegExp, overrides: string[] = []) {
  const file = await configFile(text);
  await assert.rejects(loadConfig(file, { registry, overrides }), (error: Error) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${error.stack}`);
    if (typeof message === 'string') assert.equal(error.message, `${file}: ${message}`);
    else assert.match(error.message, message);
    return true;
  });
}

test('a minimal config gets every default, and relative paths resolve from the config file', async () => {
  const file = await configFile(MINIMAL);
  const dir = path.dirname(file);
  const { config } = await loadConfig(file, { registry });
  assert.equal(config.model.path, path.join(dir, 'model'));
  assert.equal(config.data.train, path.join(dir, 'data/train.jsonl'));
  assert.deepEqual({ ...config.data, train: '' }, { train: '', format: 'auto', maxLength: 512, skipInvalid: false, shuffle: true });
  assert.equal(config.stage, 'preference');
  assert.deepEqual(config.loss, { name: 'dpo', beta: 0.1, labelSmoothing: 0 });
  assert.equal(config.train.batchSize, 8);
  assert.equal(config.train.schedule, 'linear');
  assert.equal(config.train.maxSteps, undefined);
  assert.equal(config.backend, 'auto');
  assert.equal(config.output, path.join(dir, 'runs/run'));
  assert.deepEqual(config.plugins, []);
});

test('JSON configs work too; model.init gets its defaults', async () => {
  const file = await configFile(JSON.stringify({ model: { init: { hidden_size: 32 } }, data: { train: 't.jsonl', maxLength: 128 } }), 'c.json');
  const { config } = await loadConfig(file, { registry });
  assert.equal(config.model.init!.hidden_size, 32);
  assert.equal(config.model.init!.num_hidden_layers, 4);
  assert.equal(config.model.init!.model_type, 'llama');
});

test("a bad loss param is reported with its path, the rule, the value and the line: 'loss.beta must be > 0'", async () => {
  await rejects(`${MINIMAL}loss:\n  name: minor-dpo\n  beta: -1\n`, 'loss.beta must be > 0 (got -1; line 7)');
  await rejects(`${MINIMAL}loss: { name: ipo, lengthNormalize: 3 }\n`, /: loss\.lengthNormalize must be of type boolean \(got 3; line 5\)$/);
});

test('unknown keys are rejected with their path and the known keys', async () => {
  await rejects(`${MINIMAL}train:\n  lrr: 0.1\n`, /: unknown key 'train\.lrr' \(known: seed, epochs, maxSteps, batchSize, .*precomputeReference, sharePrompt\) \(line 6\)$/);
  await rejects(`${MINIMAL}loss: { name: minor-dpo, betta: 0.1 }\n`, /: unknown key 'loss\.betta' \(known: name, beta\)/);
  await rejects(`${MINIMAL}trian: {}\n`, /: unknown key 'trian' \(known: model, data, stage, loss, train, reference, backend, output, plugins\)/);
});

test('an unknown loss lists the known ones; aliases resolve to the loss name', async () => {
  await rejects(`${MINIMAL}loss: { name: dpoo }\n`, /: loss\.name: unknown loss "dpoo" \(known: dpo \(sigmoid\), minor-dpo, ipo, hinge.*\) \(line 5\)$/);
  const { config } = await loadConfig(await configFile(`${MINIMAL}loss: { name: sigmoid, beta: 0.2 }\n`), { registry });
  assert.deepEqual(config.loss, { name: 'dpo', beta: 0.2, labelSmoothing: 0 });
});

test('a loss list (mixture) validates each term by its own schema; weight defaults to 1', async () => {
  const { config } = await loadConfig(await configFile(`${MINIMAL}loss:\n  - { name: dpo, weight: 0.5 }\n  - { name: ipo }\n`), { registry });
  assert.deepEqual(config.loss, [
    { name: 'dpo', weight: 0.5, beta: 0.1, labelSmoothing: 0 },
    { name: 'ipo', weight: 1, beta: 0.1, lengthNormalize: true },
  ]);
  await rejects(`${MINIMAL}loss:\n  - { name: dpo }\n  - { name: ipo, beta: 0 }\n`, 'loss[1].beta must be > 0 (got 0; line 7)');
  await rejects(`${MINIMAL}loss:\n  - { name: dpo, weight: -1 }\n`, 'loss[0].weight must be > 0 (got -1; line 6)');
  await rejects(`${MINIMAL}loss: []\n`, /: loss must NOT have fewer than 1 items/);
});

test('--set overrides are read as YAML scalars, create sections, and errors name the --set', async () => {
  const file = await configFile(MINIMAL);
  const { config } = await loadConfig(file, {
    registry,
    overrides: ['loss.beta=0.25', 'train.schedule=cosine', 'train.precomputeReference=true', 'train.learningRate=1e-4', 'data.train=other.jsonl'],
    cwd: '/somewhere',
  });
  assert.equal((config.loss as unknown as { beta: number }).beta, 0.25);
  assert.equal(config.train.schedule, 'cosine');
  assert.equal(config.train.precomputeReference, true);
  assert.equal(config.train.learningRate, 1e-4);
  assert.equal(config.data.train, '/somewhere/other.jsonl', 'paths given with --set are relative to cwd');
  await rejects(MINIMAL, 'unknown key \'train.lrr\' (known: seed, epochs, maxSteps, batchSize, evalBatchSize, gradientAccumulation, learningRate, weightDecay, adamBeta1, adamBeta2, adamEpsilon, warmupSteps, warmupRatio, schedule, maxGradNorm, logEvery, evalEvery, saveEvery, saveTotalLimit, workers, precomputeReference, sharePrompt) (from --set train.lrr=1)', ['train.lrr=1']);
  await rejects(`${MINIMAL}loss: [{ name: dpo }, { name: ipo }]\n`, 'loss[1].beta must be > 0 (got -2; from --set loss[1].beta=-2)', ['loss[1].beta=-2']);
  await rejects(MINIMAL, /--set train: bad key path|expects key.path=value/, ['=3']);
  await rejects(MINIMAL, /--set data\.train\.x=1: 'data\.train' is a value, not a section/, ['data.train.x=1']);
});

test('model needs exactly one of path and init; init must cover data.maxLength', async () => {
  await rejects('model: {}\ndata: { train: t.jsonl }\n', "model needs exactly one of 'path' (a model directory) or 'init' (the config of a fresh model) (line 1)");
  await rejects('model: { path: m, init: {} }\ndata: { train: t.jsonl }\n', /model needs exactly one of 'path'/);
  await rejects('model: { init: { max_position_embeddings: 64 } }\ndata: { train: t.jsonl, maxLength: 128 }\n', /model\.init\.max_position_embeddings \(64\) must be >= data\.maxLength \(128\) \(line 1\)$/);
  await rejects('data: { train: t.jsonl }\n', "missing required key 'model' (line 1)");
});

test('model.lora: PEFT defaults filled, only on a model directory, target modules checked; reference.path resolved', async () => {
  const { config } = await loadConfig(await configFile('model:\n  path: m\n  lora: { r: 16 }\ndata: { train: t.jsonl }\nreference: { path: ref }\n'), { registry });
  assert.deepEqual(config.model.lora, { r: 16, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] });
  assert.equal(config.model.saveDtype, 'auto');
  assert.ok(path.isAbsolute(config.reference.path!) && config.reference.path!.endsWith('ref'));
  await rejects('model: { init: {}, lora: {} }\ndata: { train: t.jsonl }\n', /model\.lora adapts a pretrained model: it needs model\.path .* \(line 1\)$/);
  await rejects('model: { path: m, lora: { targetModules: [lm_head] } }\ndata: { train: t.jsonl }\n', /model\.lora\.targetModules\[0\]/);
  await rejects('model: { path: m, saveDtype: int8 }\ndata: { train: t.jsonl }\n', /model\.saveDtype must be one of/);
});

test('YAML syntax errors name the line; a non-mapping config is refused', async () => {
  await rejects('model:\n  path: m\n data: x\n', /config\.yaml:3: invalid YAML: /);
  await rejects('- just\n- a list\n', /: expected a mapping of sections/);
  await assert.rejects(loadConfig('/nonexistent/config.yaml'), /\/nonexistent\/config\.yaml: cannot read the config: ENOENT/);
});

test('plugins named in the config are loaded relative to it, and their params are validated like the rest', async () => {
  const fixture = path.join(import.meta.dirname, 'fixtures/with-plugin.yaml');
  const loaded = await loadConfig(fixture);
  assert.deepEqual(loaded.config.loss, { name: 'test-margin-hinge', beta: 0.1, margin: 2 });
  assert.deepEqual(loaded.config.plugins, [path.join(import.meta.dirname, 'fixtures/double-hinge.ts')]);
  await assert.rejects(loadConfig(fixture, { overrides: ['loss.margin=-1'] }), /with-plugin\.yaml: loss\.margin must be >= 0 \(got -1; from --set loss\.margin=-1\)/);
  const { loss, params } = configuredLoss(loaded.config.loss, loaded.registry);
  assert.equal(loss.name, 'test-margin-hinge');
  assert.deepEqual(params, { beta: 0.1, margin: 2 });
});

test('configuredLoss: one loss with its params, or a mixture for a list', async () => {
  const single = configuredLoss({ name: 'ipo', beta: 0.3 }, registry);
  assert.equal(single.loss.name, 'ipo');
  assert.deepEqual(single.params, { beta: 0.3, lengthNormalize: true });
  const mixture = configuredLoss([{ name: 'dpo', weight: 1, beta: 0.1 }, { name: 'hinge', weight: 0.5 }], registry);
  assert.equal(mixture.loss.name, 'mixture');
  assert.equal(mixture.loss.requiresReference, true);
  assert.match(mixture.loss.formula, /1\*dpo \+ 0\.5\*hinge/);
});

test('data.chatTemplate and data.chatTemplateKwargs reach the dataset loader options', async () => {
  const file = await configFile(`${MINIMAL}  chatTemplate: tool_use\n  chatTemplateKwargs: { enable_thinking: false }\n`);
  const { config } = await loadConfig(file, { registry });
  const options = loadOptionsFrom(config.data);
  assert.equal(options.chatTemplate, 'tool_use');
  assert.deepEqual(options.chatTemplateKwargs, { enable_thinking: false });
  await rejects(`${MINIMAL}  chatTemplateKwargs: 3\n`, /data\.chatTemplateKwargs/);
});
