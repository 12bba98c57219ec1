/**
 * `prefopt loss` (spawned as a user runs it) agrees with the float64 formulas to float32
 * precision, and a misbehaving plugin (NaN, throw, wrong shape) fails with an error naming it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { createLossRegistry } from '../../core/loss/index.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { extremePair, randomPair } from '../reference/arbitraries.ts';
import { assertMatchesReference, reference } from '../reference/compare.ts';
import type { PairInput } from '../reference/compare.ts';

const run = promisify(execFile);
const BIN = path.join(PACKAGE_ROOT, 'bin', 'prefopt.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'prefopt-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const registry = await createLossRegistry();

function writePairs(name: string, pairs: PairInput[], withReference: boolean): string {
  const file = path.join(dir, `${name}.jsonl`);
  const line = (p: PairInput) =>
    JSON.stringify({
      policy_chosen_logps: p.policyChosen,
      policy_rejected_logps: p.policyRejected,
      ...(withReference ? { ref_chosen_logps: p.refChosen, ref_rejected_logps: p.refRejected } : {}),
      chosen_length: p.chosenLength,
      rejected_length: p.rejectedLength,
    });
  writeFileSync(file, `${pairs.map(line).join('\n')}\n`);
  return file;
}

async function prefopt(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, PREFOPT_BACKEND: 'cpu' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const CASES: Array<[string, Record<string, unknown>, PairInput[]]> = [
  ['dpo', { beta: 0.25, labelSmoothing: 0.1 }, fc.sample(randomPair, { numRuns: 8, seed: 1 })],
  ['discopop', {}, fc.sample(extremePair, { numRuns: 8, seed: 2 })],
  ['aot', {}, fc.sample(randomPair, { numRuns: 8, seed: 3 })],
  ['simpo', { gamma: 1 }, fc.sample(extremePair, { numRuns: 8, seed: 4 })],
  ['dpop', {}, fc.sample(extremePair, { numRuns: 8, seed: 5 })],
];

test('prefopt loss output matches the float64 formulas within rel 1e-5 / abs 1e-6 (dpo, discopop, aot, simpo without reference fields, dpop)', async () => {
  await Promise.all(
    CASES.map(async ([name, params, pairs]) => {
      const loss = registry.get(name);
      const input = writePairs(name, pairs, loss.requiresReference);
      const sets = Object.entries(params).flatMap(([k, v]) => ['--set', `${k}=${JSON.stringify(v)}`]);
      const { code, stdout, stderr } = await prefopt(['loss', '--loss', name, ...sets, '--input', input]);
      assert.equal(code, 0, stderr);
      const rows = stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(rows.length, pairs.length);
      const field = { loss: 'loss', chosenReward: 'chosen_reward', rejectedReward: 'rejected_reward' } as const;
      assertMatchesReference(name, pairs, reference(loss, params, pairs), (f, i) =>
        f === 'gradChosen' ? rows[i].grad.policy_chosen_logps : f === 'gradRejected' ? rows[i].grad.policy_rejected_logps : rows[i][field[f]],
      );
    }),
  );
});

const BROKEN = {
  nan: 'const x = inputs.policyChosen.sub(inputs.policyChosen); return { losses: x.div(x), chosenRewards: x, rejectedRewards: x };',
  throws: "throw new Error('kaboom');",
  shape: 'return { losses: inputs.policyChosen.sum(), chosenRewards: inputs.policyChosen, rejectedRewards: inputs.policyChosen };',
};

function writeBrokenPlugin(kind: keyof typeof BROKEN): string {
  const file = path.join(dir, `broken-${kind}.mjs`);
  const loss = `{ name: 'broken-${kind}', description: 'broken', formula: 'broken', paper: { title: 't', url: 'u' },
    paramsSchema: { type: 'object', properties: {} }, requiresReference: false, compute(inputs) { ${BROKEN[kind]} } }`;
  writeFileSync(file, `export default ${loss};\n`);
  return file;
}

test('a plugin whose loss is NaN, that throws, or returns the wrong shape fails `prefopt loss` with one line naming the loss', async () => {
  const input = writePairs('plain', fc.sample(randomPair, { numRuns: 3, seed: 6 }), false);
  const expectations: Record<keyof typeof BROKEN, string> = {
    nan: `prefopt: loss 'broken-nan' produced NaN in 'losses' for pair 1 (${input}:1)`,
    throws: "prefopt: loss 'broken-throws' threw: kaboom",
    shape: "prefopt: loss 'broken-shape' returned 'losses' with shape []; expected a tensor of shape [3]",
  };
  await Promise.all(
    (Object.keys(BROKEN) as Array<keyof typeof BROKEN>).map(async (kind) => {
      const { code, stdout, stderr } = await prefopt(['loss', '--loss', `broken-${kind}`, '--plugin', writeBrokenPlugin(kind), '--input', input]);
      assert.equal(code, 1);
      assert.equal(stdout, '');
      // The last stderr line is the error (tfjs may print its banner before it); no stack trace.
      assert.equal(stderr.trimEnd().split('\n').at(-1), expectations[kind]);
      assert.doesNotMatch(stderr, /\n\s+at /);
    }),
  );
});
