/** The run directory never loses a user's files: where training may write, locks, resume with a changed config, leftovers. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../../core/errors.ts';
import { removeLeftoverTemps } from '../../core/io/atomic.ts';
import { lockDir, LOCK_FILE } from '../../core/io/lock.ts';
import { allowedOnResume, configChanges } from '../../core/train/run-config.ts';
import { CONFIG_HISTORY, prepareRunDir, RUN_MARKER } from '../../core/train/run-dir.ts';
import { tempDir, tinyRun } from './helpers.ts';

test('training refuses an output that is a non-empty non-run directory, a file, or overlaps model.path, and touches nothing there', async () => {
  const dir = await tempDir();
  const loaded = await tinyRun(dir);
  const config = loaded.config;
  const foreign = path.join(dir, 'foreign');
  await mkdir(foreign);
  await writeFile(path.join(foreign, 'config.json'), '{"mine": true}');
  await assert.rejects(prepareRunDir(foreign, { ...config, output: foreign }, false), /is not empty and is not a prefopt run directory/);
  assert.equal(await readFile(path.join(foreign, 'config.json'), 'utf8'), '{"mine": true}');
  assert.deepEqual(await readdir(foreign), ['config.json']);

  const file = path.join(dir, 'a-file');
  await writeFile(file, 'x');
  await assert.rejects(prepareRunDir(file, { ...config, output: file }, false), /is a file, not a directory/);

  const model = path.join(dir, 'model-dir');
  for (const output of [model, path.join(model, 'run')]) {
    await assert.rejects(
      prepareRunDir(output, { ...config, output, model: { ...config.model, init: undefined, path: model } }, false),
      (e: unknown) => e instanceof UserError && /overlap: training would overwrite the model it reads/.test(e.message),
    );
  }
  await assert.rejects(prepareRunDir(path.join(dir, 'nothing'), { ...config, output: path.join(dir, 'nothing') }, true), /no run to resume/);
});

test('a new run directory is marked and locked; a second process is refused by pid; a dead pid\'s lock is taken over', async () => {
  const dir = await tempDir();
  const { config } = await tinyRun(dir);
  const prepared = await prepareRunDir(config.output, config, false);
  const names = await readdir(config.output);
  for (const name of [RUN_MARKER, LOCK_FILE, 'config.json', CONFIG_HISTORY]) assert.ok(names.includes(name), name);
  const owner = JSON.parse(await readFile(path.join(config.output, LOCK_FILE), 'utf8'));
  assert.equal(owner.pid, process.pid);
  await prepared.lock.release();
  assert.ok(!(await readdir(config.output)).includes(LOCK_FILE));

  // A live process holds the lock: refused, naming it.
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    await writeFile(path.join(config.output, LOCK_FILE), JSON.stringify({ pid: sleeper.pid, host: (await import('node:os')).hostname(), started: 'then' }));
    await assert.rejects(lockDir(config.output), new RegExp(`another prefopt process \\(pid ${sleeper.pid}, started then\\)`));
  } finally {
    sleeper.kill('SIGKILL');
    await new Promise((resolve) => sleeper.once('exit', resolve));
  }
  // Now its pid is dead: the stale lock is taken over.
  const lock = await lockDir(config.output);
  assert.equal(JSON.parse(await readFile(path.join(config.output, LOCK_FILE), 'utf8')).pid, process.pid);
  await lock.release();
});

test('resume refuses config changes that alter the run, naming them, allows extending ones, and keeps the config history', async () => {
  const dir = await tempDir();
  const { config } = await tinyRun(dir);
  (await prepareRunDir(config.output, config, false)).lock.release();
  const changed = structuredClone(config);
  changed.train.learningRate = 0.5;
  (changed.loss as unknown as { beta: number }).beta = 0.1;
  changed.train.batchSize = 2;
  await assert.rejects(prepareRunDir(config.output, changed, true), (e: unknown) =>
    e instanceof UserError && /cannot resume with a changed config: loss\.beta 0\.5 -> 0\.1, train\.batchSize 8 -> 2, train\.learningRate 0\.01 -> 0\.5/.test(e.message));
  assert.deepEqual(JSON.parse(await readFile(path.join(config.output, 'config.json'), 'utf8')), JSON.parse(JSON.stringify(config)), 'config.json untouched');

  const extended = structuredClone(config);
  extended.train.maxSteps = 60;
  extended.train.saveEvery = 7;
  const prepared = await prepareRunDir(config.output, extended, true);
  await prepared.lock.release();
  assert.deepEqual(prepared.changes.map((c) => c.key), ['train.maxSteps', 'train.saveEvery']);
  const history = (await readFile(path.join(config.output, CONFIG_HISTORY), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(history.map((h) => [h.resume, h.config.train.maxSteps]), [[false, 30], [true, 60]]);
  assert.equal(JSON.parse(await readFile(path.join(config.output, 'config.json'), 'utf8')).train.maxSteps, 60);
});

test('configChanges/allowedOnResume: more steps or epochs extend a run; fewer steps, another loss or seed alter it', () => {
  const base = { train: { maxSteps: 10, epochs: 1, seed: 1, logEvery: 5 }, loss: [{ name: 'dpo', weight: 1 }] };
  const change = (edit: (c: any) => void) => {
    const next = structuredClone(base) as any;
    edit(next);
    return configChanges(base, next);
  };
  assert.ok(change((c) => (c.train.maxSteps = 20)).every(allowedOnResume));
  assert.ok(change((c) => (c.train.epochs = 3)).every(allowedOnResume));
  assert.ok(change((c) => (c.train.logEvery = 1)).every(allowedOnResume));
  assert.ok(!change((c) => (c.train.maxSteps = 5)).every(allowedOnResume));
  assert.ok(!change((c) => (c.train.seed = 2)).every(allowedOnResume));
  assert.deepEqual(change((c) => (c.loss[0].name = 'ipo')).map((c) => c.key), ['loss[0].name']);
  assert.deepEqual(change(() => undefined), []);
});

test('leftover .NAME.PID.HEX.tmp files and directories of interrupted writes are removed on the next start; other files are kept', async () => {
  const dir = await tempDir();
  const { config } = await tinyRun(dir);
  const checkpoints = path.join(config.output, 'checkpoints');
  await mkdir(path.join(checkpoints, '.step-000004.12345.0a1b2c3d.tmp'), { recursive: true });
  await writeFile(path.join(checkpoints, '.step-000004.12345.0a1b2c3d.tmp', 'model.safetensors'), 'half');
  await writeFile(path.join(config.output, '.metrics.jsonl.999.deadbeef.tmp'), 'x');
  await writeFile(path.join(config.output, RUN_MARKER), '{}');
  await writeFile(path.join(checkpoints, 'notes.txt'), 'keep');
  const prepared = await prepareRunDir(config.output, config, false);
  await prepared.lock.release();
  assert.deepEqual(prepared.removed.sort(), ['.metrics.jsonl.999.deadbeef.tmp', '.step-000004.12345.0a1b2c3d.tmp']);
  assert.deepEqual(await readdir(checkpoints), ['notes.txt']);
  assert.equal(prepared.restarted, true, 'a run without a checkpoint starts again');
  assert.deepEqual(await removeLeftoverTemps(checkpoints), []);
});
