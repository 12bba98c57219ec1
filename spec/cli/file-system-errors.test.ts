/**
 * Real file-system failures, not simulated ones: a read-only file system (EROFS) and a full disk
 * (ENOSPC) under `prefopt train`'s output and `prefopt loss` / `logprobs --out` files, and a full
 * stdout (/dev/full). The read-only and full file systems are small tmpfs mounts made in a private
 * user and mount namespace (`unshare --user --map-root-user --mount`, Linux): no root needed,
 * invisible outside the command, gone when it exits. Each case must give one line naming the
 * path and the error, exit 1, no stack trace, and leave nothing half-written: no temporary files,
 * no partial output file, no lock, only complete lines in metrics.jsonl.
 * Where the machine cannot make such mounts (no util-linux `unshare`, or unprivileged user
 * namespaces disabled) the mount cases are skipped with that reason; /dev/full needs no mount.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, type CliResult } from '../helpers/cli.ts';
import { writeModelDir, charConfig, randomArrays } from '../model/helpers.ts';
import { letterPairs } from '../train/helpers.ts';

const BIN = path.join(REPO_ROOT, 'bin/prefopt.js');

/** Why tmpfs mounts in a private namespace cannot be made here, or undefined when they can. */
function mountsUnavailable(): string | undefined {
  const probe = mkdtempSync(path.join(tmpdir(), 'prefopt-fs-probe-'));
  const result = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', probe], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error) return `needs util-linux unshare: ${result.error.message}`;
  if (result.status !== 0) return `needs unprivileged user and mount namespaces: ${result.stderr.trim()}`;
  return undefined;
}
const MOUNTS = { skip: mountsUnavailable() };

/**
 * Runs prefopt with a fresh tmpfs of `size` mounted at `mount` (read-only when asked), then copies
 * what the command left there into `copy` (outside the namespace, for the checks).
 */
function inTmpfs(mount: string, copy: string, options: { size: string; readOnly?: boolean }, args: string[]): CliResult {
  const script = [
    'set -e',
    `mount -t tmpfs -o size=${options.size} tmpfs "$1"`,
    options.readOnly ? 'mount -o remount,ro "$1"' : ':',
    'mkdir -p "$2"',
    'mounted="$1"; copy="$2"; shift 2',
    'cd "$REPO"',
    'set +e',
    '"$NODE" "$BIN" "$@"; status=$?',
    'cp -a "$mounted/." "$copy/"',
    'exit $status',
  ].join('\n');
  const result = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', script, 'sh', mount, copy, ...args], {
    env: { ...process.env, PREFOPT_FROM_SOURCE: '1', REPO: REPO_ROOT, NODE: process.execPath, BIN },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.ok(!result.error && !/^(unshare|mount): /m.test(result.stderr), `these tests need unshare (util-linux) and unprivileged user namespaces: ${result.error ?? result.stderr}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file and directory under `dir`, relative. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).sort();
}

function assertOneLineError(result: CliResult, file: string, code: 'EROFS' | 'ENOSPC'): void {
  const meaning = { EROFS: 'read-only file system', ENOSPC: 'no space left on device' }[code];
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('prefopt: ') || /^\s+at /.test(line));
  assert.deepEqual(lines, [`prefopt: ${file}: cannot write: ${code} (${meaning})`], result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(result.status, 1, result.stderr);
}

/** A workspace: the mount point, the copy of what was left on it, and inputs on the normal disk. */
function workspace(): { mount: string; copy: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'prefopt-fs-'));
  const mount = path.join(dir, 'mnt');
  mkdirSync(mount);
  return { mount, copy: path.join(dir, 'left'), dir };
}

function trainConfig(dir: string, output: string, overrides: Record<string, number> = {}): string {
  const train = path.join(dir, 'train.jsonl');
  writeFileSync(train, letterPairs(16).map((r) => JSON.stringify(r)).join('\n') + '\n');
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, JSON.stringify({
    stage: 'preference',
    model: { init: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16 }, tokenizer: 'char' },
    data: { train, maxLength: 16 },
    loss: { name: 'dpo', beta: 0.5 },
    train: { seed: 3, maxSteps: 2, batchSize: 8, learningRate: 1e-2, schedule: 'constant', logEvery: 1, saveEvery: 1, workers: 1, ...overrides },
    backend: 'wasm',
    output,
  }));
  return file;
}

const PAIRS = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ policy_chosen_logps: -1 - i / 1000, policy_rejected_logps: -2, ref_chosen_logps: -1.5, ref_rejected_logps: -1.5 })).join('\n') + '\n';

test('prefopt train: an output on a read-only file system is one line naming it (EROFS), exit 1, nothing written', MOUNTS, () => {
  const { mount, copy, dir } = workspace();
  const output = path.join(mount, 'run');
  const result = inTmpfs(mount, copy, { size: '64k', readOnly: true }, ['train', '--config', trainConfig(dir, output)]);
  const lines = result.stderr.split('\n').filter((line) => line.startsWith('prefopt: '));
  assert.deepEqual(lines, [`prefopt: ${output}: cannot use the output directory: EROFS (read-only file system)`], result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
  assert.equal(result.status, 1);
  assert.deepEqual(tree(copy), []);
});

test('prefopt train: a disk that fills up during a checkpoint is one line naming it (ENOSPC), exit 1, no temporary files, no lock, whole metric lines', MOUNTS, () => {
  const { mount, copy, dir } = workspace();
  const output = path.join(mount, 'run');
  // 64 KB holds the run's small files and the first log line, not the first checkpoint.
  const result = inTmpfs(mount, copy, { size: '64k' }, ['train', '--config', trainConfig(dir, output)]);
  assertOneLineError(result, path.join(output, 'checkpoints', 'step-000001'), 'ENOSPC');
  const left = tree(copy);
  assert.ok(left.includes(path.join('run', 'prefopt-run.json')), `the run was started: ${left}`);
  assert.deepEqual(left.filter((name) => name.endsWith('.tmp') || name.includes('.tmp/')), [], 'no temporary files');
  assert.ok(!left.includes(path.join('run', 'prefopt.lock')), 'the lock is released');
  assert.deepEqual(left.filter((name) => name.startsWith(path.join('run', 'checkpoints') + path.sep) || name.startsWith(path.join('run', 'model'))), [], 'no partial checkpoint or model');
  for (const line of readFileSync(path.join(copy, 'run', 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean)) JSON.parse(line);
});

test('prefopt train: metrics.jsonl filling the disk mid-line is one line naming it (ENOSPC) and keeps only whole lines', MOUNTS, () => {
  const { mount, copy, dir } = workspace();
  const output = path.join(mount, 'run');
  // 20 KB is five pages: the marker, config.json, config-history.jsonl, the lock and one page of
  // metrics.jsonl, whose line crossing 4,096 bytes is written in part before the disk is full.
  const result = inTmpfs(mount, copy, { size: '20k' }, ['train', '--config', trainConfig(dir, output, { maxSteps: 30, saveEvery: 0 })]);
  assertOneLineError(result, path.join(output, 'metrics.jsonl'), 'ENOSPC');
  const text = readFileSync(path.join(copy, 'run', 'metrics.jsonl'), 'utf8');
  assert.ok(text.length > 2000, `several lines were logged first: ${text.length} bytes`);
  assert.ok(text.endsWith('\n'), `no half line: ${JSON.stringify(text.slice(-80))}`);
  for (const line of text.split('\n').filter(Boolean)) JSON.parse(line);
  assert.deepEqual(tree(copy).filter((name) => name.endsWith('.tmp') || name.endsWith('prefopt.lock')), []);
});

for (const [code, options] of [['EROFS', { size: '64k', readOnly: true }], ['ENOSPC', { size: '16k' }]] as const) {
  test(`prefopt loss --out: ${code} is one line naming the file, exit 1, and no file (not even half of one) is left`, MOUNTS, () => {
    const { mount, copy, dir } = workspace();
    const input = path.join(dir, 'pairs.jsonl');
    writeFileSync(input, PAIRS); // ~400 KB of output: more than 16 KB
    const out = path.join(mount, 'losses.jsonl');
    const result = inTmpfs(mount, copy, options, ['loss', '--loss', 'dpo', '--input', input, '--out', out]);
    assertOneLineError(result, out, code);
    assert.deepEqual(tree(copy), []);
  });
}

test('prefopt logprobs --out: ENOSPC is one line naming the file, exit 1, no file left; with room the file is complete', MOUNTS, async () => {
  const { mount, copy, dir } = workspace();
  const model = path.join(dir, 'model');
  const config = charConfig({ hidden_size: 16, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1 });
  await writeModelDir(model, config, randomArrays(config, 1));
  const input = path.join(dir, 'records.jsonl');
  writeFileSync(input, letterPairs(400).map((r) => JSON.stringify(r)).join('\n') + '\n'); // ~60 KB of output
  const out = path.join(mount, 'logps.jsonl');
  const full = inTmpfs(mount, copy, { size: '16k' }, ['logprobs', '--model', model, '--input', input, '--out', out]);
  assertOneLineError(full, out, 'ENOSPC');
  assert.deepEqual(tree(copy), []);
  const room = inTmpfs(mount, copy, { size: '1m' }, ['logprobs', '--model', model, '--input', input, '--out', out]);
  assert.equal(room.status, 0, room.stderr);
  assert.equal(readFileSync(path.join(copy, 'logps.jsonl'), 'utf8').split('\n').filter(Boolean).length, 400);
  assert.deepEqual(tree(copy), ['logps.jsonl']);
});

test('prefopt loss to a full stdout (/dev/full): one line naming it (ENOSPC), exit 1, no stack trace', () => {
  assert.ok(existsSync('/dev/full'));
  const result = spawnSync('sh', ['-c', '"$NODE" "$BIN" loss --loss dpo > /dev/full'], {
    input: PAIRS,
    env: { ...process.env, PREFOPT_FROM_SOURCE: '1', NODE: process.execPath, BIN },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assertOneLineError({ status: result.status, stdout: result.stdout, stderr: result.stderr }, 'stdout (/dev/full)', 'ENOSPC');
});
