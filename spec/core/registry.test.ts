/** The loss registry: lookup by name and alias, and the errors a user can run into. */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { container } from 'tsyringe';
import { createLossRegistry, loadBuiltinLosses, loadPlugin, LossRegistry, LOSS_TOKEN, readManifest, type RegisteredLoss } from '../../core/loss/index.ts';
import { UserError } from '../../core/errors.ts';
import dpo from '../../plugins/dpo/index.ts';

const SEED_LOSSES = ['dpo', 'minor-dpo', 'ipo', 'hinge'];

describe('loss registry', () => {
  test('registry.json lists the seed losses and each loads from its module', async () => {
    const registry = await createLossRegistry();
    const names = registry.list().map((loss) => loss.name);
    for (const name of SEED_LOSSES) assert.ok(names.includes(name), `${name} is registered`);
    assert.deepEqual(readManifest().map((entry) => entry.name), names);
  });

  test('losses are resolved through the tsyringe container under one token', async () => {
    const registry = await createLossRegistry();
    const resolved = registry.container.resolveAll<RegisteredLoss>(LOSS_TOKEN).map((entry) => entry.loss.name);
    assert.deepEqual(resolved, registry.list().map((loss) => loss.name));
  });

  test('a lookup by alias finds the same loss as by name (sigmoid -> dpo)', async () => {
    const registry = await createLossRegistry();
    assert.equal(registry.get('sigmoid'), registry.get('dpo'));
    assert.equal(registry.get('minor-dpo').name, 'minor-dpo');
  });

  test('an unknown name is an error that lists the known losses', async () => {
    const registry = await createLossRegistry();
    assert.throws(() => registry.get('dpoo'), (error: Error) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /unknown loss 'dpoo'/);
      for (const name of SEED_LOSSES) assert.ok(error.message.includes(name));
      return true;
    });
  });

  test('two plugins claiming one name is an error naming both modules', () => {
    const registry = new LossRegistry();
    registry.register(dpo, 'plugins/dpo/index.ts');
    assert.throws(() => registry.register({ ...dpo, aliases: [] }, 'my-plugin.ts'), /claimed twice.*plugins\/dpo\/index\.ts.*my-plugin\.ts/);
    assert.throws(() => registry.register({ ...dpo, name: 'other', aliases: ['sigmoid'] }, 'alias-plugin.ts'), /'sigmoid' is claimed twice.*alias-plugin\.ts/);
  });

  test('an object that does not fulfil the contract is rejected with what is missing', () => {
    const registry = new LossRegistry();
    const { compute: _compute, ...noCompute } = dpo;
    assert.throws(() => registry.register(noCompute as never, 'bad.ts'), /bad\.ts does not fulfil the PreferenceLoss contract: 'compute' must be a function/);
    assert.throws(() => registry.register({ ...dpo, name: 'Bad_Name' }, 'bad.ts'), /'name' must be a kebab-case string/);
    assert.throws(
      () => registry.register({ ...dpo, name: 'bad-schema', paramsSchema: { type: 'object', properties: { beta: { type: 'nonsense' } } } }, 'bad.ts'),
      /'paramsSchema' is not a valid JSON Schema/,
    );
  });

  test('registries are independent: a program may use its own container', async () => {
    const own = new LossRegistry(container.createChildContainer());
    assert.equal(own.list().length, 0);
    await loadBuiltinLosses(own);
    assert.ok(own.list().length >= SEED_LOSSES.length);
    assert.equal(new LossRegistry().list().length, 0);
  });
});

describe('plugin modules', () => {
  async function pluginFile(source: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-plugin-'));
    const file = path.join(dir, 'plugin.ts');
    await writeFile(file, source);
    return file;
  }
  const dpoModule = path.resolve('plugins/dpo/index.ts');

  test('a module default-exporting a loss registers it', async () => {
    const file = await pluginFile(`import dpo from ${JSON.stringify(dpoModule)};\nexport default { ...dpo, name: 'my-dpo', aliases: [] };\n`);
    const registry = await createLossRegistry({ plugins: [file] });
    assert.equal(registry.get('my-dpo').name, 'my-dpo');
  });

  test('a module exporting register(registry) registers into the registry it is given', async () => {
    const file = await pluginFile(
      `import dpo from ${JSON.stringify(dpoModule)};\nexport function register(registry) { registry.register({ ...dpo, name: 'registered-dpo', aliases: [] }, 'custom'); }\n`,
    );
    const registry = new LossRegistry();
    const added = await loadPlugin(file, registry);
    assert.deepEqual(added.map((loss) => loss.name), ['registered-dpo']);
  });

  test('a module that exports no loss, a missing file and a missing package are clear errors', async () => {
    const empty = await pluginFile('export const nothing = 1;\n');
    await assert.rejects(loadPlugin(empty, new LossRegistry()), /exports no loss: expected a default export/);
    await assert.rejects(loadPlugin('./does-not-exist.ts', new LossRegistry()), /cannot load plugin '\.\/does-not-exist\.ts'/);
    await assert.rejects(loadPlugin('prefopt-no-such-package', new LossRegistry()), /cannot find plugin 'prefopt-no-such-package'/);
  });

  test('a manifest entry that does not match its module is an error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-manifest-'));
    const manifest = path.join(dir, 'registry.json');
    await writeFile(manifest, JSON.stringify({ plugins: [{ name: 'dpo', module: dpoModule, aliases: [], summary: 'x' }] }));
    await assert.rejects(loadBuiltinLosses(new LossRegistry(), manifest), /entry 'dpo' does not match module/);
    await writeFile(manifest, JSON.stringify({ plugins: [{ name: 'dpo', module: dpoModule }] }));
    await assert.rejects(loadBuiltinLosses(new LossRegistry(), manifest), /invalid plugin manifest.*must have required property 'aliases'/);
  });
});
