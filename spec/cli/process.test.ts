/**
 * The prefopt process as a user meets it: it ends when the command is done, says what went wrong
 * in one line, keeps quiet when its reader goes away, and streams `prefopt loss`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'prefopt-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const BIN = path.join(REPO_ROOT, 'bin', 'prefopt.js');
const env = { ...process.env, PREFOPT_FROM_SOURCE: '1', PREFOPT_BACKEND: 'cpu' };
const pair = (fields: Record<string, unknown> = {}) =>
  JSON.stringify({ policy_chosen_logps: -3, policy_rejected_logps: -5, ref_chosen_logps: -3.5, ref_rejected_logps: -4.5, ...fields });

function plugin(name: string, source: string): string {
  const file = path.join(dir, `${name}.mjs`);
  writeFileSync(file, source);
  return file;
}
const LOSS = (name: string, extra = '') => `{ name: '${name}', description: 'd', formula: 'f', paper: { title: 't', url: 'u' },
  paramsSchema: { type: 'object', properties: {} }, requiresReference: false, ${extra}
  compute(i) { return { losses: i.policyChosen.neg(), chosenRewards: i.policyChosen, rejectedRewards: i.policyRejected }; } }`;

test('a plugin that leaves a timer running does not keep the process alive', () => {
  const file = plugin('timer', `setInterval(() => {}, 1000);\nexport default ${LOSS('timer')};\n`);
  const result = runCli(['losses', '--plugin', file]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^timer /m);
});

test('a plugin whose top-level await never settles gets a message naming it, exit 1', () => {
  const file = plugin('never', `await new Promise(() => {});\nexport default ${LOSS('never')};\n`);
  const result = runCli(['losses', '--plugin', file]);
  assert.equal(result.status, 1);
  assert.equal(result.stderr, `prefopt: plugin '${file}' never finished loading (its top-level await never settles)\n`);
});

test("--debug (or PREFOPT_DEBUG=1) prints the plugin's own stack; without it one line", () => {
  const file = plugin('throws', `export default { ...${LOSS('throws')}, compute() { throw new Error('kaboom'); } };\n`);
  const plain = runCli(['loss', '--loss', 'throws', '--plugin', file], { input: pair(), env });
  assert.equal(plain.status, 1);
  assert.equal(plain.stderr.trimEnd().split('\n').at(-1), "prefopt: loss 'throws' threw: kaboom");
  for (const [args, extraEnv] of [[['--debug'], {}], [[], { PREFOPT_DEBUG: '1' }]] as const) {
    const debug = runCli(['loss', '--loss', 'throws', '--plugin', file, ...args], { input: pair(), env: { ...env, ...extraEnv } });
    assert.equal(debug.status, 1);
    assert.match(debug.stderr, new RegExp(`caused by: Error: kaboom\\n\\s+at .*${path.basename(file).replace('.', '\\.')}`));
  }
});

test('`prefopt loss ... | head -1` ends quietly with exit 0 when head goes away', () => {
  const input = path.join(dir, 'many.jsonl');
  writeFileSync(input, `${Array.from({ length: 20000 }, () => pair()).join('\n')}\n`);
  const result = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" loss --loss dpo --batch-size 500 --input "${input}" | head -1`], { env, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 1);
  assert.doesNotMatch(result.stderr, /EPIPE|rror|\n\s+at /);
});

test('prefopt loss streams: the first batch is written before the input ends', async () => {
  const child = spawn(process.execPath, [BIN, 'loss', '--loss', 'dpo', '--batch-size', '2'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.write(`${pair()}\n${pair()}\n`);
  const first = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(data.toString()));
    child.once('exit', (code) => reject(new Error(`exited ${code} before writing`)));
  });
  assert.equal(first.trim().split('\n').length, 2, 'both pairs of the first batch');
  child.stdin.end(`${pair()}\n`);
  const code = await new Promise((resolve) => child.once('exit', resolve));
  assert.equal(code, 0);
});

test('prefopt loss input: unknown fields list the known ones; lengths required by a loss that uses them; reference fields never reach a reference-free loss', () => {
  const unknown = runCli(['loss', '--loss', 'dpo'], { input: pair({ chosen_len: 3 }), env });
  assert.equal(unknown.status, 1);
  assert.equal(
    unknown.stderr,
    "prefopt: <stdin>:1: unknown field 'chosen_len'; known fields: policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, chosen_length, rejected_length\n",
  );
  const lengths = plugin('lengths', `export default ${LOSS('lengths', 'usesLengths: true,')};\n`);
  const missing = runCli(['loss', '--loss', 'lengths', '--plugin', lengths], { input: pair(), env });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /<stdin>:1: missing field 'chosen_length' \(loss 'lengths' uses completion lengths\)/);
  const seen = plugin('sees-reference', `export default { ...${LOSS('sees-reference')}, compute(i) {
    if (i.refChosen !== undefined || i.refRejected !== undefined) throw new Error('reference fields given to a reference-free loss');
    return { losses: i.policyChosen.neg(), chosenRewards: i.policyChosen, rejectedRewards: i.policyRejected }; } };\n`);
  const free = runCli(['loss', '--loss', 'sees-reference', '--plugin', seen], { input: pair(), env });
  assert.equal(free.status, 0, free.stderr);
});

test('prefopt loss: a value outside float32 and a non-finite result are errors that print Infinity/NaN, never null', () => {
  const huge = runCli(['loss', '--loss', 'dpo'], { input: pair({ policy_chosen_logps: -1e39 }), env });
  assert.equal(huge.status, 1);
  assert.equal(huge.stderr, "prefopt: <stdin>:1: field 'policy_chosen_logps' is -1e+39, outside float32's range (+-3.4e38)\n");
  const tiny = runCli(['loss', '--loss', 'ipo', '--set', 'beta=1e-300'], { input: pair({ chosen_length: 1, rejected_length: 1 }), env });
  assert.equal(tiny.status, 1);
  assert.match(tiny.stderr.trimEnd().split('\n').at(-1)!, /^prefopt: .*(Infinity|NaN)/);
  assert.doesNotMatch(tiny.stderr, /null/);
  assert.equal(tiny.stdout, '');
});

test('a system error (output is a directory) is one line naming the file, exit 1', () => {
  const result = runCli(['docs', 'losses', '--out', dir]);
  assert.equal(result.status, 1);
  assert.equal(result.stderr.split('\n').length, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`^prefopt: .*${dir.replaceAll('/', '\\/')}`));
});
