/** Divergence stops a run with a diagnosis; no checkpoint holds non-finite weights; restarts and resumes of odd states work. */
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { nonFiniteWeight } from '../../core/model/checkpoint.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { readSafetensors } from '../../core/model/safetensors.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { DivergenceMonitor } from '../../core/train/divergence.ts';
import { MetricsLog } from '../../core/train/run-dir.ts';
import { train, TrainingDiverged } from '../../core/train/trainer.ts';
import { charConfig } from '../model/helpers.ts';
import { quiet, tempDir, tinyRun } from './helpers.ts';

/** Every checkpoint of a run has finite weights. */
async function checkpointsAreFinite(runDir: string): Promise<number> {
  const dir = path.join(runDir, 'checkpoints');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('step-'));
  for (const name of names) {
    const { tensors } = await readSafetensors(path.join(dir, name, 'model.safetensors'));
    for (const [tensor, t] of tensors) assert.equal(nonFiniteWeight(tensor, t.data), undefined, `${name} ${tensor}`);
  }
  return names.length;
}

const metricsOf = async (runDir: string) =>
  (await new MetricsLog(path.join(runDir, 'metrics.jsonl')).read()).map(({ 'tokens/s': _s, ...rest }) => rest);

for (const learningRate of [1e6, 1e39]) {
  test(`learningRate ${learningRate}: the run stops with a diagnosis, and no checkpoint holds non-finite weights`, async () => {
    const loaded = await tinyRun(await tempDir(), { train: { maxSteps: 30, saveEvery: 1, logEvery: 1, learningRate, maxGradNorm: 0 } });
    await assert.rejects(train(loaded, { progressStream: quiet }), (error: unknown) => {
      assert.ok(error instanceof TrainingDiverged, String(error));
      assert.match(error.message, /training diverged at step \d+ \(epoch \d+\): (the weights blew up|the weights became non-finite|non-finite|the gradient has been exactly 0)/);
      assert.match(error.message, /the last good checkpoint is .*step-\d+|no good checkpoint was written/);
      return true;
    });
    await checkpointsAreFinite(loaded.config.output);
    assert.ok(!(await readdir(loaded.config.output)).includes('prefopt.lock'), 'the lock is released');
  });
}

test('DivergenceMonitor: a gradient of exactly 0 with a non-zero loss for 3 steps is stuck; with loss 0 it is converged', () => {
  const model = CausalLM.random(charConfig(), 1);
  try {
    const monitor = new DivergenceMonitor(model);
    assert.equal(monitor.beforeUpdate({ loss: 4.6 }, 0), undefined);
    assert.equal(monitor.beforeUpdate({ loss: 4.6 }, 0), undefined);
    assert.match(monitor.beforeUpdate({ loss: 4.6 }, 0) ?? '', /exactly 0 for 3 steps while the loss is 4\.6/);
    const converged = new DivergenceMonitor(model);
    for (let i = 0; i < 5; i++) assert.equal(converged.beforeUpdate({ loss: 0 }, 0), undefined);
    assert.match(converged.beforeUpdate({ loss: NaN }, 1) ?? '', /non-finite loss=NaN/);
    assert.equal(converged.afterUpdate(), undefined);
  } finally {
    model.dispose();
  }
});

test('a run stopped before its first checkpoint starts again, with or without --resume', async () => {
  const dir = await tempDir();
  const loaded = await tinyRun(dir, { train: { maxSteps: 6, saveEvery: 0, logEvery: 1 } });
  const whole = await tinyRun(await tempDir(), { train: { maxSteps: 6, saveEvery: 0, logEvery: 1 } });
  await train(whole, { progressStream: quiet });
  const stopAt3 = (step: number) => {
    if (step === 3) throw new Error('simulated kill');
  };
  await assert.rejects(train(loaded, { progressStream: quiet, afterStep: stopAt3 }), /simulated kill/);
  await train(loaded, { progressStream: quiet });
  assert.deepEqual(await metricsOf(loaded.config.output), await metricsOf(whole.config.output));
  await rm(loaded.config.output, { recursive: true });
  await assert.rejects(train(loaded, { progressStream: quiet, afterStep: stopAt3 }), /simulated kill/);
  await train(loaded, { progressStream: quiet, resume: true });
  assert.deepEqual(await metricsOf(loaded.config.output), await metricsOf(whole.config.output));
});

test('resuming a finished run, or one killed while writing model/, does not log the final evaluation again', async () => {
  await selectBackend('wasm');
  const loaded = await tinyRun(await tempDir(), { train: { maxSteps: 4, saveEvery: 2, logEvery: 2 } });
  await train(loaded, { progressStream: quiet });
  const finished = await metricsOf(loaded.config.output);
  assert.equal(finished.filter((l) => 'eval_loss' in l).length, 1);
  const model = await readFile(path.join(loaded.config.output, 'model', 'model.safetensors'));

  await train(loaded, { progressStream: quiet, resume: true });
  assert.deepEqual(await metricsOf(loaded.config.output), finished);

  await rm(path.join(loaded.config.output, 'model'), { recursive: true }); // as if killed during the final write
  await train(loaded, { progressStream: quiet, resume: true });
  assert.deepEqual(await metricsOf(loaded.config.output), finished);
  assert.deepEqual(await readFile(path.join(loaded.config.output, 'model', 'model.safetensors')), model);
});
