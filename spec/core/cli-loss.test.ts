/** `prefopt losses` and `prefopt loss`, run as a user runs them. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parseJsonl, pluginProject, REPO_ROOT, runCli } from '../helpers/cli.ts';

const pairLine = (fields: Record<string, unknown>) => JSON.stringify(fields);
const AT_REFERENCE = pairLine({ policy_chosen_logps: -3, policy_rejected_logps: -5, ref_chosen_logps: -3, ref_rejected_logps: -5 });
const REJECTED_BELOW = pairLine({ policy_chosen_logps: -3, policy_rejected_logps: -6, ref_chosen_logps: -2.5, ref_rejected_logps: -5, chosen_length: 2, rejected_length: 3 });

describe('prefopt losses', () => {
  test('--json lists every seed loss with aliases, param defaults and whether it is reference-free', () => {
    const result = runCli(['losses', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const losses = JSON.parse(result.stdout) as any[];
    const byName = Object.fromEntries(losses.map((loss) => [loss.name, loss]));
    assert.deepEqual(byName.dpo.aliases, ['sigmoid']);
    assert.equal(byName.dpo.params.beta.default, 0.1);
    assert.equal(byName.dpo.params.labelSmoothing.default, 0);
    assert.equal(byName.ipo.params.lengthNormalize.default, true);
    for (const name of ['dpo', 'minor-dpo', 'ipo', 'hinge']) assert.equal(byName[name].referenceFree, false);
  });

  test('the table names each loss with its defaults', () => {
    const result = runCli(['losses']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^minor-dpo\s+-\s+beta=0\.1\s+no\s+/m);
  });
});

describe('prefopt loss', () => {
  test('at rho = 0 DPO is ln 2 with gradients -+beta/2 (stdin in, one JSONL line per pair out)', () => {
    const result = runCli(['loss', '--loss', 'sigmoid', '--set', 'beta=0.2'], { input: `${AT_REFERENCE}\n${AT_REFERENCE}\n` });
    assert.equal(result.status, 0, result.stderr);
    const lines = parseJsonl(result.stdout);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.ok(Math.abs(line.loss - Math.LN2) < 1e-6);
      assert.equal(line.chosen_reward, 0);
      assert.ok(Math.abs(line.grad.policy_chosen_logps + 0.1) < 1e-7);
      assert.ok(Math.abs(line.grad.policy_rejected_logps - 0.1) < 1e-7);
    }
  });

  test('MinorDPO gives a rejected answer below the reference exactly zero gradient; DPO does not', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-loss-'));
    const input = path.join(dir, 'pairs.jsonl');
    await writeFile(input, `${REJECTED_BELOW}\n`);
    const [minor] = parseJsonl(runCli(['loss', '--loss', 'minor-dpo', '--input', input]).stdout);
    const [dpo] = parseJsonl(runCli(['loss', '--loss', 'dpo', '--input', input]).stdout);
    assert.equal(minor.grad.policy_rejected_logps, 0);
    assert.ok(dpo.grad.policy_rejected_logps > 0);
    assert.ok(minor.loss > dpo.loss, 'MinorDPO is never below DPO and strictly above it here');
    assert.ok(Math.abs(minor.rejected_reward - 0.1 * -1) < 1e-6, 'rewards are beta * rho');
  });

  test('a malformed line is an error naming the line and the field; nothing is written', () => {
    const input = `${AT_REFERENCE}\n\n${pairLine({ policy_chosen_logps: -3, policy_rejected_logps: 'x', ref_chosen_logps: -3, ref_rejected_logps: -5 })}\n`;
    const result = runCli(['loss', '--loss', 'dpo'], { input });
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim(), `prefopt: <stdin>:3: field 'policy_rejected_logps' must be a finite number (got "x")`);
  });

  test('invalid JSON, a missing field and a zero length are each reported with file and line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-loss-'));
    const cases: Array<[string, RegExp]> = [
      ['{"policy_chosen_logps": -1,', /pairs\.jsonl:1: invalid JSON/],
      [pairLine({ policy_chosen_logps: -1, policy_rejected_logps: -2, ref_chosen_logps: -1 }), /pairs\.jsonl:1: missing field 'ref_rejected_logps'/],
      [`${AT_REFERENCE.slice(0, -1)},"chosen_length":0}`, /pairs\.jsonl:1: field 'chosen_length' must be an integer >= 1/],
      ['[1,2]', /pairs\.jsonl:1: expected a JSON object/],
    ];
    for (const [line, expected] of cases) {
      const input = path.join(dir, 'pairs.jsonl');
      await writeFile(input, `${line}\n`);
      const result = runCli(['loss', '--loss', 'dpo', '--input', input]);
      assert.equal(result.status, 1);
      assert.match(result.stderr, expected);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('an unknown loss, a bad param and a missing input file exit non-zero with one line', () => {
    for (const [args, expected] of [
      [['loss', '--loss', 'nope'], /unknown loss 'nope'; known losses: dpo \(sigmoid\), minor-dpo/],
      [['loss', '--loss', 'dpo', '--set', 'beta=-1'], /loss 'dpo': param 'beta' must be > 0/],
      [['loss', '--loss', 'dpo', '--input', '/no/such/file.jsonl'], /\/no\/such\/file\.jsonl: cannot read: ENOENT/],
    ] as const) {
      const result = runCli([...args], { input: AT_REFERENCE });
      assert.equal(result.status, 1);
      assert.match(result.stderr, expected);
      assert.equal(result.stderr.trim().split('\n').length, 1);
    }
  });

  test('--plugin loads a third-party loss that `losses` lists and `loss` evaluates', async () => {
    const dir = await pluginProject();
    const plugin = path.join(dir, 'double-dpo.ts');
    await writeFile(
      plugin,
      `import { tf } from 'prefopt';\nimport dpo from ${JSON.stringify(path.join(REPO_ROOT, 'plugins/dpo/index.ts'))};\n` +
        `export default { ...dpo, name: 'double-dpo', aliases: [], compute: (i, p) => { const o = dpo.compute(i, p); return { ...o, losses: tf.mul(o.losses, 2) }; } };\n`,
    );
    const listed = runCli(['losses', '--json', '--plugin', plugin]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok(JSON.parse(listed.stdout).some((loss: any) => loss.name === 'double-dpo'));
    const [line] = parseJsonl(runCli(['loss', '--loss', 'double-dpo', '--plugin', plugin], { input: AT_REFERENCE }).stdout);
    assert.ok(Math.abs(line.loss - 2 * Math.LN2) < 1e-6);
  });
});
