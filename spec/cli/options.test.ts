/** Numeric options, `--set` assignments and how errors are reported: one place each (core/cli/options.ts, core/config/overrides.ts, core/cli/errors.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Command } from 'commander';
import { describeError } from '../../core/cli/errors.ts';
import { parseNumber } from '../../core/cli/options.ts';
import { buildProgram } from '../../core/cli/program.ts';
import { parseAssignments, parseOverride } from '../../core/config/overrides.ts';
import { UserError } from '../../core/errors.ts';
import { runCli } from '../helpers/cli.ts';

test('an integer option rejects 0, -1, abc and 2.5 below its minimum or as a non-integer, with a one-line error naming the option', () => {
  for (const bad of ['0', '-1', 'abc', '2.5', '', '1e3', '0x10', '99999999999999999999']) {
    assert.throws(() => parseNumber('--batch-size', bad, 'integer', { min: 1 }), (e: unknown) => e instanceof UserError && e.message === `--batch-size expects an integer >= 1 (got '${bad}')`);
  }
  assert.equal(parseNumber('--batch-size', '16', 'integer', { min: 1 }), 16);
  assert.equal(parseNumber('--seed', '4294967295', 'integer', { min: 0, max: 2 ** 32 - 1 }), 2 ** 32 - 1);
  assert.throws(() => parseNumber('--seed', '4294967296', 'integer', { min: 0, max: 2 ** 32 - 1 }), /--seed expects an integer in \[0, 4294967295\]/);
});

test('a real option accepts decimals and exponents but not Infinity, NaN or values out of range', () => {
  assert.equal(parseNumber('--temperature', '0.7', 'real', { min: 0 }), 0.7);
  assert.equal(parseNumber('--temperature', '1e-3', 'real', { min: 0 }), 0.001);
  for (const bad of ['Infinity', 'NaN', '-0.5', 'warm', '1e400']) assert.throws(() => parseNumber('--temperature', bad, 'real', { min: 0 }), /--temperature expects a number >= 0/);
});

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

test('every numeric option of every command is parsed by options.ts (each rejects abc with a UserError naming it)', () => {
  let numeric = 0;
  for (const command of allCommands(buildProgram())) {
    for (const option of command.options) {
      if (typeof option.defaultValue !== 'number' && !/<(n|k|s|t)>/.test(option.flags)) continue;
      numeric += 1;
      assert.ok(option.parseArg, `${command.name()} ${option.long} has a parser`);
      assert.throws(() => option.parseArg!('abc', undefined), (e: unknown) => e instanceof UserError && e.message.startsWith(`${option.long} expects`), `${command.name()} ${option.long}`);
    }
  }
  assert.ok(numeric >= 9, `found ${numeric} numeric options`);
});

test('CLI: --batch-size 0, -1, abc and 2.5 each exit 1 with one line, before any file is read (eval, logprobs, generate, loss)', () => {
  const commands: Array<[string[], string]> = [
    [['eval', '--model', '/no/such/model', '--data', 'x.jsonl'], '--batch-size'],
    [['logprobs', '--model', '/no/such/model', '--input', 'x.jsonl'], '--batch-size'],
    [['generate', '--model', '/no/such/model', '--prompt', 'x'], '--max-new-tokens'],
    [['loss', '--loss', 'dpo'], '--batch-size'],
  ];
  for (const [command, flag] of commands) {
    for (const bad of command[0] === 'eval' ? ['0', '-1', 'abc', '2.5'] : ['0']) {
      const result = runCli([...command, flag, bad]);
      assert.equal(result.status, 1, `${command[0]} ${flag} ${bad}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`^prefopt: ${flag} expects an integer (>= 1|in \\[1, \\d+\\]) \\(got '${bad}'\\)\n$`));
    }
  }
});

test('--set reads YAML scalars and key paths, and rejects __proto__, constructor and prototype keys', () => {
  assert.deepEqual(parseAssignments(['beta=0.2', 'name=cosine', 'flag=true', 'a.b=[1, 2]']), { beta: 0.2, name: 'cosine', flag: true, a: { b: [1, 2] } });
  for (const key of ['__proto__.polluted', 'constructor.prototype.polluted', 'a.prototype', 'loss[0].__proto__']) {
    assert.throws(() => parseOverride(`${key}=1`), /is not allowed as a key/);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const result = runCli(['loss', '--loss', 'dpo', '--set', '__proto__.polluted=1'], { input: '' });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, "prefopt: --set __proto__.polluted=1: '__proto__' is not allowed as a key\n");
});

test('errors: a UserError or a system error is one line (exit 1), anything else one line with a hint (exit 2); debug adds the stacks with causes', () => {
  assert.deepEqual(describeError(new UserError('bad input'), false), { message: 'prefopt: bad input\n', status: 1 });
  const system = Object.assign(new Error("EISDIR: illegal operation on a directory, open '/tmp'"), { code: 'EISDIR', syscall: 'open' });
  assert.deepEqual(describeError(system, false), { message: "prefopt: EISDIR: illegal operation on a directory, open '/tmp'\n", status: 1 });
  const bug = describeError(new TypeError(`x is undefined\n${'minified source '.repeat(5000)}`), false);
  assert.equal(bug.status, 2);
  assert.equal(bug.message, 'prefopt: unexpected error: x is undefined (run with --debug or PREFOPT_DEBUG=1 for the stack trace)\n');
  const inner = new Error('kaboom');
  const debug = describeError(new UserError("loss 'x' threw: kaboom", { cause: inner }), true).message;
  assert.match(debug, /^prefopt: loss 'x' threw: kaboom\nUserError: loss 'x' threw: kaboom\n\s+at /);
  assert.match(debug, /\ncaused by: Error: kaboom\n\s+at .*options\.test\.ts/);
});
