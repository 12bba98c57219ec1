/** Checkpoints and resume: an interrupted run, resumed, logs exactly what an uninterrupted one logs. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { loadModelDir } from '../../core/model/checkpoint.ts';
import { latestCheckpoint, MetricsLog } from '../../core/train/run-dir.ts';
import { train } from '../../core/train/trainer.ts';
import { REPO_ROOT } from '../helpers/cli.ts';
import { quiet, tempDir, tinyRun } from './helpers.ts';

/** metrics.jsonl without the wall-clock field. */
async function metrics(runDir: string) {
  const lines = await new MetricsLog(path.join(runDir, 'metrics.jsonl')).read();
  return lines.map(({ 'tokens/s': _speed, ...rest }) => rest);
}

class Killed extends Error {}

describe('resume', () => {
  test('a run stopped after step 7 and resumed from its step-4 checkpoint logs the same metrics as an uninterrupted run', async () => {
    const settings = { train: { maxSteps: 10, saveEvery: 4, logEvery: 3, evalEvery: 5, gradientAccumulation: 2, batchSize: 4, schedule: 'cosine', warmupSteps: 2 } };
    const whole = await tinyRun(await tempDir(), settings);
    await train(whole, { progressStream: quiet });

    const interrupted = await tinyRun(await tempDir(), settings);
    await assert.rejects(
      train(interrupted, {
        progressStream: quiet,
        afterStep: (step) => {
          if (step === 7) throw new Killed('simulated kill');
        },
      }),
      Killed,
    );
    assert.equal((await latestCheckpoint(interrupted.config.output))?.step, 4);
    await train(interrupted, { progressStream: quiet, resume: true });

    assert.deepEqual(await metrics(interrupted.config.output), await metrics(whole.config.output));
  });

  test('a fresh run refuses a directory that already holds a run; --resume needs a checkpoint', async () => {
    const loaded = await tinyRun(await tempDir(), { train: { maxSteps: 2 } });
    await train(loaded, { progressStream: quiet });
    await assert.rejects(train(loaded, { progressStream: quiet }), /already holds a run; resume it with --resume/);
    const empty = await tinyRun(await tempDir(), { train: { maxSteps: 2 } });
    await assert.rejects(train(empty, { progressStream: quiet, resume: true }), /no complete checkpoint to resume from/);
  });

  test('killing the process while it writes checkpoints leaves the newest complete checkpoint loadable, and the run resumes', async () => {
    const dir = await tempDir();
    const loaded = await tinyRun(dir, { train: { maxSteps: 60, saveEvery: 1, logEvery: 1 } });
    const configFile = path.join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify(loaded.config));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/prefopt.js'), 'train', '--config', configFile], { stdio: 'ignore' });
    const checkpoints = path.join(loaded.config.output, 'checkpoints');
    const deadline = Date.now() + 60_000;
    // Kill at a moment when checkpoint writes are under way: after a few have been written.
    while (Date.now() < deadline) {
      const names = await readdir(checkpoints).catch(() => [] as string[]);
      if (names.filter((n) => n.startsWith('step-')).length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const latest = await latestCheckpoint(loaded.config.output);
    assert.ok(latest, 'a complete checkpoint survives the kill');
    const { model } = await loadModelDir(latest.dir);
    assert.equal(model.config.hidden_size, 32);
    model.dispose();

    // The same run, recorded differently (no more checkpoints): a change a resume allows.
    const resumed = await tinyRun(dir, { train: { maxSteps: 60, saveEvery: 0, logEvery: 1 } });
    const result = await train(resumed, { progressStream: quiet, resume: true });
    assert.equal(result.steps, 60);
  });
});
