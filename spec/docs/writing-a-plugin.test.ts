/**
 * docs/writing-a-plugin.md runs as written: its TypeScript blocks are saved as the files they
 * name (the loss, then its kit test) in a project where prefopt is installed, the kit test passes
 * (on wasm and cpu), the shell block runs, and the YAML block's plugin and loss resolve.
 */
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { pluginProject, REPO_ROOT } from '../helpers/cli.ts';

const run = promisify(execFile);
const DOC = readFileSync(path.join(REPO_ROOT, 'docs', 'writing-a-plugin.md'), 'utf8');
/** The fenced blocks of the page, in order, with their language. */
const blocks = [...DOC.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
let project = '';

before(async () => {
  project = await pluginProject();
  symlinkSync(path.join(REPO_ROOT, 'node_modules', 'tsx'), path.join(project, 'node_modules', 'tsx'), 'dir');
  mkdirSync(path.join(project, 'node_modules', '.bin'));
  symlinkSync(path.join(REPO_ROOT, 'bin', 'prefopt.js'), path.join(project, 'node_modules', '.bin', 'prefopt'));
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  const [loss, kitTest] = blocks.filter((b) => b.lang === 'ts');
  writeFileSync(path.join(project, 'tanh-loss.ts'), loss!.code);
  writeFileSync(path.join(project, 'tanh-loss.test.ts'), kitTest!.code);
});

test('the page has the loss file, its kit test, a shell block and a YAML block', () => {
  assert.deepEqual(blocks.map((b) => b.lang), ['ts', 'sh', 'yaml', 'ts']);
  assert.match(blocks[3]!.code, /node --import tsx --test tanh-loss\.test\.ts/);
});

test('the kit test of the page passes on the loss of the page (node --import tsx --test tanh-loss.test.ts)', async () => {
  // A node:test child inherits NODE_TEST_CONTEXT and would report to us in the binary protocol: drop it.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--test', 'tanh-loss.test.ts'], { cwd: project, env });
  assert.match(stdout, /# fail 0/);
  assert.match(stdout, /# pass [1-9]\d+/);
  assert.match(stdout, /the loss stays within \[0, 2\]/);
  assert.match(stdout, /match the float64 reference formula/);
});

test('the shell block runs: the loss is listed and evaluated', async () => {
  const { stdout } = await run('bash', ['-eo', 'pipefail', '-c', blocks[1]!.code], {
    cwd: project,
    env: { ...process.env, PREFOPT_BACKEND: 'cpu', PATH: `${path.join(project, 'node_modules', '.bin')}:${process.env.PATH}` },
  });
  assert.match(stdout, /tanh/);
  const row = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.ok(Math.abs(row.loss - (1 - Math.tanh(0.5 * (0.2 - -1)))) < 1e-6, JSON.stringify(row));
});

test("the YAML block's plugin loads and its loss and params resolve", async () => {
  const config = parse(blocks[2]!.code) as { plugins: string[]; loss: { name: string } & Record<string, unknown> };
  const registry = await createLossRegistry({ plugins: config.plugins, baseDir: project });
  const { name, ...params } = config.loss;
  assert.deepEqual(resolveParams(registry.get(name), params), { beta: 0.5 });
});
