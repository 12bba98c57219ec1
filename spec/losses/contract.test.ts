/**
 * The loss contract where a plugin meets the core: param mistakes rejected at load (naming the
 * plugin and the param), reference fields absent for reference-free losses, a loss's own metrics
 * logged by the trainer, and NaN in training naming the loss and the pair.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, test } from 'node:test';
import { callLoss, computeLoss, createMixture, LossRegistry, loadPlugin, pairTensors, preferenceMetrics, PluginError, tf, type PreferenceLoss } from '../../core/loss/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { MetricsLog } from '../../core/train/run-dir.ts';
import { train } from '../../core/train/trainer.ts';
import { pluginProject } from '../helpers/cli.ts';
import { quiet, tempDir, tinyRun } from '../train/helpers.ts';
import dpo from '../../plugins/dpo/index.ts';
import simpo from '../../plugins/simpo/index.ts';

before(async () => {
  await selectBackend('cpu');
});

const pairs = { policyChosen: [-3, -4], policyRejected: [-5, -2], refChosen: [-3.5, -4], refRejected: [-4, -3], chosenLength: [2, 3], rejectedLength: [4, 1] };

async function pluginFile(name: string, source: string): Promise<string> {
  const file = path.join(await tempDir('prefopt-contract-'), name);
  await writeFile(file, source);
  return file;
}

test('a param without a default, or whose default its own schema rejects, is an error at load naming the plugin and the param', async () => {
  const noDefault = await pluginFile('no-default.mjs', `import dpo from ${JSON.stringify(path.resolve('plugins/dpo/index.ts'))};
export default { ...dpo, name: 'no-default', aliases: [], paramsSchema: { type: 'object', properties: { beta: { type: 'number', exclusiveMinimum: 0 } } } };\n`);
  await assert.rejects(loadPlugin(noDefault, new LossRegistry()), (error: Error) => {
    assert.match(error.message, /^plugin .*no-default\.mjs does not fulfil the PreferenceLoss contract: param 'beta' has no default/);
    return true;
  });
  const badDefault: PreferenceLoss<any> = { ...dpo, name: 'bad-default', aliases: [], paramsSchema: { type: 'object', properties: { beta: { type: 'number', exclusiveMinimum: 0, default: 0 } } } };
  assert.throws(() => new LossRegistry().register(badDefault, 'bad-default.ts'), /plugin bad-default\.ts .*the default of param 'beta' \(0\) breaks its own schema: it must be > 0/);
  const required: PreferenceLoss<any> = { ...badDefault, name: 'required-beta', paramsSchema: { type: 'object', properties: { beta: { type: 'number' } }, required: ['beta'] } };
  assert.doesNotThrow(() => new LossRegistry().register(required, 'required.ts'));
});

test('a reference-free loss receives no reference fields, even when the caller has them', () => {
  let seen: string[] = [];
  const spy: PreferenceLoss<any> = { ...simpo, name: 'spy', compute: (inputs, params) => ((seen = Object.keys(inputs)), simpo.compute(inputs, params as any)) };
  computeLoss(spy, { beta: 2, gamma: 0.5, labelSmoothing: 0 }, pairs);
  assert.deepEqual(seen.sort(), ['chosenLength', 'policyChosen', 'policyRejected', 'rejectedLength']);
});

const withMetric = (metric: (inputs: any) => tf.Tensor): PreferenceLoss<any> => ({
  ...dpo,
  name: 'dpo-with-metric',
  aliases: [],
  compute(inputs, params) {
    return { ...dpo.compute(inputs, params), metrics: { nll_loss: metric(inputs) as tf.Tensor1D } };
  },
});

test("a loss's own metrics are logged as batch means beside TRL's; a metric of the wrong shape or a TRL name is an error naming the loss", () => {
  const params = { beta: 0.1, labelSmoothing: 0 };
  const metrics = tf.tidy(() => {
    const inputs = pairTensors(pairs);
    return preferenceMetrics(inputs, callLoss(withMetric((i) => tf.neg(i.policyChosen)), inputs, params));
  });
  assert.equal(metrics.nll_loss, 3.5);
  const registry = new LossRegistry();
  registry.register(withMetric((i) => tf.neg(i.policyChosen)), 'with-metric.ts');
  registry.register(dpo, 'dpo.ts');
  const mixture = createMixture(registry, [{ name: 'dpo-with-metric' }, { name: 'dpo', weight: 0.5 }]);
  const mixed = tf.tidy(() => {
    const inputs = pairTensors(pairs);
    return preferenceMetrics(inputs, callLoss(mixture, inputs, {}));
  });
  assert.equal(mixed['loss/dpo-with-metric/nll_loss'], 3.5, "a mixture reports each term's metrics under the term's key");
  tf.tidy(() => {
    const inputs = pairTensors(pairs);
    assert.throws(() => callLoss(withMetric((i) => tf.sum(i.policyChosen)), inputs, params), (e: Error) => e instanceof PluginError && /loss 'dpo-with-metric' returned metric 'nll_loss' with shape \[\]/.test(e.message));
    const clash: PreferenceLoss<any> = { ...dpo, compute: (i, p) => ({ ...dpo.compute(i, p), metrics: { loss: i.policyChosen } }) };
    assert.throws(() => callLoss(clash, inputs, params), /returned metric 'loss', a name prefopt logs itself/);
  });
});

async function trainingPlugin(body: string): Promise<{ dir: string; plugin: string }> {
  const dir = await pluginProject();
  const plugin = path.join(dir, 'plugin.ts');
  await writeFile(plugin, `import { tf, betaParam, betaRewards, logRatios } from 'prefopt';
export default { name: 'probe', description: 'test loss', formula: 'see code', paper: { title: 'test', url: 'none' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } }, requiresReference: true,
  compute(inputs, { beta }) { const rho = logRatios(inputs); const z = tf.mul(tf.sub(rho.chosen, rho.rejected), beta); ${body} } };\n`);
  return { dir, plugin };
}

test('training logs the metrics a loss reports in metrics.jsonl', async () => {
  const { dir, plugin } = await trainingPlugin(`return { losses: tf.softplus(tf.neg(z)), ...betaRewards(rho, beta), metrics: { nll_loss: tf.neg(inputs.policyChosen) } };`);
  const loaded = await tinyRun(dir, { plugins: [plugin], loss: { name: 'probe' }, train: { maxSteps: 2, logEvery: 1 } });
  await train(loaded, { progressStream: quiet });
  const lines = (await new MetricsLog(path.join(loaded.config.output, 'metrics.jsonl')).read()).filter((l) => 'loss' in l);
  assert.equal(lines.length, 2);
  for (const line of lines) assert.ok(typeof line.nll_loss === 'number' && line.nll_loss > 0, JSON.stringify(line));
});

test('NaN produced by a plugin during training is an error naming the loss and the pair (file:line)', async () => {
  // NaN for the third pair of every batch only.
  const { dir, plugin } = await trainingPlugin(
    `const third = tf.cast(tf.oneHot(tf.tensor1d([2], 'int32'), z.shape[0]).reshape([z.shape[0]]), 'float32');
     return { losses: tf.add(tf.softplus(tf.neg(z)), tf.sqrt(tf.neg(third))), ...betaRewards(rho, beta) };`,
  );
  // Unshuffled, the first batch is lines 1-8 of train.jsonl: the third pair is line 3.
  // One thread, and two (a gradient worker sees only its half of the microbatch).
  for (const workers of [1, 2]) {
    const loaded = await tinyRun(dir, { plugins: [plugin], loss: { name: 'probe' }, data: { shuffle: false }, train: { maxSteps: 2, workers }, output: path.join(dir, `run-${workers}`) });
    await assert.rejects(train(loaded, { progressStream: quiet }), /loss 'probe' is not finite on the pair at \S*train\.jsonl:3 \(loss=NaN/);
    assert.ok(await readFile(path.join(loaded.config.output, 'config.json'), 'utf8'));
  }
});
