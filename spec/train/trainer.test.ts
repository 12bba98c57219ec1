/** The trainer's behaviour beyond learning: loss selection, plugins, leaks, divergence, SFT, bad data. */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { latestCheckpoint, MetricsLog } from '../../core/train/run-dir.ts';
import { train, TrainingDiverged } from '../../core/train/trainer.ts';
import { pluginProject } from '../helpers/cli.ts';
import { quiet, tempDir, tinyRun, writeJsonl } from './helpers.ts';

describe('trainer', () => {
  test('the loss is selected by alias (sigmoid) and the resolved config names it (dpo)', async () => {
    const loaded = await tinyRun(await tempDir(), { loss: { name: 'sigmoid', beta: 0.3 }, train: { maxSteps: 2 } });
    await train(loaded, { progressStream: quiet });
    const saved = JSON.parse(await readFile(path.join(loaded.config.output, 'config.json'), 'utf8'));
    assert.deepEqual(saved.loss, { name: 'dpo', beta: 0.3, labelSmoothing: 0 });
  });

  test('the number of live tensors stays flat over training steps (no leak)', async () => {
    const counts: number[] = [];
    const loaded = await tinyRun(await tempDir(), { train: { maxSteps: 12, logEvery: 2, evalEvery: 4, gradientAccumulation: 2, batchSize: 4 } });
    await train(loaded, { progressStream: quiet, afterStep: () => void counts.push(tf.memory().numTensors) });
    assert.equal(counts.length, 12);
    assert.deepEqual(new Set(counts.slice(2)).size, 1, `tensor counts over steps: ${counts.join(', ')}`);
  });

  test('num_tokens counts the tokens of every pair trained on (chosen + rejected ids, no padding), and tokens/s is derived from tokens', async () => {
    const loaded = await tinyRun(await tempDir(), { train: { maxSteps: 4, logEvery: 2, batchSize: 4, gradientAccumulation: 1 }, data: { shuffle: false } });
    await train(loaded, { progressStream: quiet });
    const { loadPreferenceDataset } = await import('../../core/data/datasets.ts');
    const { loadModelDir } = await import('../../core/model/checkpoint.ts');
    const { tokenizer, model } = await loadModelDir(path.join(loaded.config.output, 'model'));
    model.dispose();
    const { examples } = await loadPreferenceDataset(loaded.config.data.train, tokenizer, { maxLength: loaded.config.data.maxLength, format: loaded.config.data.format });
    const tokensOf = (count: number) =>
      Array.from({ length: count }, (_, i) => examples[i % examples.length]!).reduce((sum, pair) => sum + pair.chosen.ids.length + pair.rejected.ids.length, 0);
    const lines = (await new MetricsLog(path.join(loaded.config.output, 'metrics.jsonl')).read()).filter((line) => (line['num_tokens'] as number | undefined) !== undefined);
    assert.deepEqual(lines.map((line) => (line['num_tokens'] as number | undefined)), [tokensOf(8), tokensOf(16)]);
    for (const line of lines) assert.ok((line['tokens/s'] as number) > 0);
  });

  test('a third-party loss listed under plugins trains without any change to the core', async () => {
    const dir = await pluginProject();
    const plugin = path.join(dir, 'scaled-hinge.ts');
    await writeFile(
      plugin,
      `import { tf, betaParam, betaRewards, logRatios } from 'prefopt';\n` +
        `export default { name: 'scaled-hinge', description: 'hinge times 2', formula: '2*max(0, 1 - beta*(rho_c - rho_r))',\n` +
        `  paper: { title: 'test', url: 'none' }, paramsSchema: { type: 'object', properties: { beta: betaParam } }, requiresReference: true,\n` +
        `  compute(inputs, { beta }) { const rho = logRatios(inputs);\n` +
        `    return { losses: tf.mul(tf.relu(tf.sub(1, tf.mul(tf.sub(rho.chosen, rho.rejected), beta))), 2), ...betaRewards(rho, beta) }; } };\n`,
    );
    const loaded = await tinyRun(dir, { plugins: [plugin], loss: { name: 'scaled-hinge', beta: 0.5 }, train: { maxSteps: 20 } });
    const result = await train(loaded, { progressStream: quiet });
    assert.ok((result.eval['eval_rewards/accuracies'] ?? 0) >= 0.75, `reward accuracy ${result.eval['eval_rewards/accuracies']}`);
  });

  test('a non-finite loss stops the run with a diagnosis and leaves the last good checkpoint intact', async () => {
    const dir = await pluginProject();
    const plugin = path.join(dir, 'exploding.ts');
    // Finite while the policy equals the reference, infinite as soon as it moves.
    await writeFile(
      plugin,
      `import { tf, betaParam, betaRewards, logRatios } from 'prefopt';\n` +
        `export default { name: 'exploding', description: 'breaks after a few steps', formula: 'exp(1e4 * |rho_c - rho_r|)',\n` +
        `  paper: { title: 'test', url: 'none' }, paramsSchema: { type: 'object', properties: { beta: betaParam } }, requiresReference: true,\n` +
        `  compute(inputs, { beta }) { const rho = logRatios(inputs); const m = tf.sub(rho.chosen, rho.rejected);\n` +
        `    return { losses: tf.sub(tf.exp(tf.mul(tf.abs(m), 1e4)), tf.mul(m, 1)), ...betaRewards(rho, beta) }; } };\n`,
    );
    const loaded = await tinyRun(dir, { plugins: [plugin], loss: { name: 'exploding' }, train: { maxSteps: 10, saveEvery: 1, learningRate: 1e-1 } });
    await assert.rejects(train(loaded, { progressStream: quiet }), (error: Error) => {
      assert.ok(error instanceof TrainingDiverged);
      assert.match(error.message, /training diverged at step \d+ \(epoch 0\): non-finite .*loss=Infinity.*the last good checkpoint is .*step-0+\d/);
      assert.match(error.message, /loss 'exploding' is not finite on the pair at .*train\.jsonl:\d+ \(loss=Infinity/);
      return true;
    });
    const latest = await latestCheckpoint(loaded.config.output);
    assert.ok(latest && latest.step >= 1, 'the checkpoint of the last good step is there');
  });

  test('a loss whose value is finite but whose gradient is NaN on one pair: the divergence names the loss and that pair (file:line)', async () => {
    const dir = await pluginProject();
    const plugin = path.join(dir, 'sqrt-probe.ts');
    // DPO plus sqrt(0 * policy_chosen) on pairs whose chosen answer is longer than the rejected
    // one (+1 elsewhere): the value stays finite, its gradient there is Infinity * 0 = NaN.
    await writeFile(
      plugin,
      `import { tf, betaParam, betaRewards, logRatios, logSigmoid } from 'prefopt';\n` +
        `export default { name: 'sqrt-probe', description: 'NaN gradient on long chosen answers', formula: '-log sigma(z) + sqrt(0 * logp_c)',\n` +
        `  paper: { title: 'test', url: 'none' }, paramsSchema: { type: 'object', properties: { beta: betaParam } }, requiresReference: true, usesLengths: true,\n` +
        `  compute(inputs, { beta }) { const rho = logRatios(inputs); const long = tf.greater(inputs.chosenLength, tf.add(inputs.rejectedLength, 1));\n` +
        `    const probe = tf.sqrt(tf.where(long, tf.mul(inputs.policyChosen, 0), tf.onesLike(inputs.policyChosen)));\n` +
        `    return { losses: tf.add(tf.neg(logSigmoid(tf.mul(tf.sub(rho.chosen, rho.rejected), beta))), probe), ...betaRewards(rho, beta) }; } };\n`,
    );
    const pairs = [
      { prompt: 'a0:', chosen: 'aa', rejected: 'bb' },
      { prompt: 'b1:', chosen: 'bb', rejected: 'cc' },
      { prompt: 'c2:', chosen: 'cc', rejected: 'dd' },
      { prompt: 'd0:', chosen: 'dddddd', rejected: 'ee' }, // line 4: the long chosen answer
      { prompt: 'e1:', chosen: 'ee', rejected: 'ff' },
      { prompt: 'f2:', chosen: 'ff', rejected: 'gg' },
    ];
    const data = await writeJsonl(path.join(dir, 'probe.jsonl'), pairs);
    const loaded = await tinyRun(dir, { plugins: [plugin], loss: { name: 'sqrt-probe' }, data: { train: data, eval: data }, train: { maxSteps: 2, batchSize: 6 } });
    await assert.rejects(train(loaded, { progressStream: quiet }), (error: Error) => {
      assert.ok(error instanceof TrainingDiverged);
      assert.match(error.message, /training diverged at step 1 \(epoch 0\): non-finite grad_norm=NaN: loss 'sqrt-probe' is not finite on the pair at \S*probe\.jsonl:4 \(d loss\/d policy_chosen_logps=NaN\);/);
      return true;
    });
  });

  test('stage sft lowers the completion NLL', async () => {
    const dir = await tempDir();
    const sft = await writeJsonl(path.join(dir, 'sft.jsonl'), Array.from({ length: 16 }, (_, i) => ({ prompt: `${'abcd'[i % 4]}:`, completion: `${'abcd'[i % 4]}!` })));
    const loaded = await tinyRun(dir, { stage: 'sft', data: { train: sft, eval: sft }, train: { maxSteps: 25, learningRate: 2e-2 } });
    const result = await train(loaded, { progressStream: quiet });
    const lines = (await new MetricsLog(path.join(loaded.config.output, 'metrics.jsonl')).read()).filter((l) => 'loss' in l);
    assert.ok((lines.at(-1)!.loss as number) < (lines[0]!.loss as number) * 0.5, `sft loss ${lines[0]!.loss} -> ${lines.at(-1)!.loss}`);
    assert.ok(result.eval.eval_loss! < 1.5);
  });

  test('a bad training record is an error naming the file, line and field', async () => {
    const dir = await tempDir();
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify({ prompt: 'a', chosen: 'b', rejected: 'c' })}\n${JSON.stringify({ prompt: 'a', chosen: 3, rejected: 'c' })}\n`);
    const loaded = await tinyRun(dir, { data: { train: bad } });
    await assert.rejects(train(loaded, { progressStream: quiet }), /bad\.jsonl:2: .*chosen/);
  });
});

describe('prefopt train and prefopt eval (CLI)', () => {
  test('train runs a config and eval reports the trained model against its start', async () => {
    const { runCli, parseJsonl } = await import('../helpers/cli.ts');
    const dir = await tempDir();
    const loaded = await tinyRun(dir, { train: { maxSteps: 20 } });
    const configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ ...loaded.config, output: path.join(dir, 'cli-run') }));
    const trained = runCli(['train', '--config', configFile, '--set', 'train.logEvery=10']);
    assert.equal(trained.status, 0, trained.stderr);
    assert.match(trained.stdout, /done: 20 steps/);
    assert.match(trained.stderr, /train step 10\/20/);
    const start = (await latestCheckpoint(path.join(dir, 'cli-run')))!;
    assert.equal(start.step, 20);

    const initial = path.join(dir, 'initial');
    const initRun = await tinyRun(dir, { train: { maxSteps: 1, learningRate: 1e-12 }, output: path.join(dir, 'init-run') });
    await train(initRun, { progressStream: quiet });
    const { saveModelDir, loadModelDir } = await import('../../core/model/checkpoint.ts');
    const { model, tokenizer } = await loadModelDir(path.join(dir, 'init-run', 'model'));
    await saveModelDir(initial, model, tokenizer);
    model.dispose();

    const evaluated = runCli(['eval', '--model', path.join(dir, 'cli-run', 'model'), '--reference', initial, '--data', loaded.config.data.eval!, '--set', 'beta=0.5']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const [report] = parseJsonl(evaluated.stdout);
    assert.equal(report.pairs, 8);
    assert.ok(report['rewards/accuracies'] >= 0.75, JSON.stringify(report));
    assert.ok(report['rewards/margins'] > 0);

    // Batches (and the reference's forward passes) on 2 threads: the same report as on 1.
    const spreadArgs = ['eval', '--model', path.join(dir, 'cli-run', 'model'), '--reference', initial, '--data', loaded.config.data.eval!, '--set', 'beta=0.5', '--batch-size', '3'];
    const [one, two] = [1, 2].map((workers) => runCli([...spreadArgs, '--workers', String(workers)]));
    assert.equal(two!.status, 0, two!.stderr);
    assert.match(two!.stderr, /evaluation: 2 threads/);
    assert.doesNotMatch(one!.stderr, /evaluation: \d threads/);
    assert.equal(two!.stdout, one!.stdout);

    const noReference = runCli(['eval', '--model', initial, '--data', loaded.config.data.eval!]);
    assert.equal(noReference.status, 1);
    assert.match(noReference.stderr, /pass --reference DIR/);
  });
});
