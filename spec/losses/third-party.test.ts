/**
 * The third-party path: the example plugin package in docs/examples/prefopt-loss-example installs
 * into a user's project with `npm install <path>` (offline) and loads by package name, from the
 * CLI (`--plugin prefopt-loss-tanh`) and from code (a config's `plugins: [...]`); its own
 * kit-based test passes where prefopt is installed.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { computeLoss, createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { isClose } from '../../core/testing/numeric.ts';
import { linkPrefoptSources } from '../helpers/cli.ts';

const run = promisify(execFile);
const EXAMPLE = path.join(PACKAGE_ROOT, 'docs', 'examples', 'prefopt-loss-example');
const BIN = path.join(PACKAGE_ROOT, 'bin', 'prefopt.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'prefopt-plugin-'));
const project = path.join(root, 'user-project');
after(() => rmSync(root, { recursive: true, force: true }));

before(async () => {
  await selectBackend('cpu');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  // Offline: a local path needs no registry; peers (tfjs, prefopt) are the user's own installs.
  // --install-links copies the package, so that it resolves `prefopt` from the user's project.
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--legacy-peer-deps', '--ignore-scripts', '--install-links', EXAMPLE], { cwd: project });
  linkPrefoptSources(path.join(project, 'node_modules')); // prefopt installed beside it
});

const prefopt = (args: string[]) => run(process.execPath, [BIN, ...args], { cwd: project, env: { ...process.env, PREFOPT_BACKEND: 'cpu' } });

test('after npm install of the example package, `prefopt losses --plugin prefopt-loss-tanh` lists tanh next to the built-ins', async () => {
  const { stdout } = await prefopt(['losses', '--json', '--plugin', 'prefopt-loss-tanh']);
  const losses = JSON.parse(stdout) as Array<{ name: string; referenceFree: boolean; params: Record<string, { default: unknown }> }>;
  const tanh = losses.find((l) => l.name === 'tanh');
  assert.ok(tanh, 'tanh is listed');
  assert.equal(tanh.referenceFree, false);
  assert.equal(tanh.params.beta!.default, 0.1);
  assert.ok(losses.some((l) => l.name === 'dpo') && losses.length >= 19);
});

test('`prefopt loss --plugin prefopt-loss-tanh --loss tanh` computes 1 - tanh(beta * margin) and its gradient', async () => {
  const input = path.join(project, 'pairs.jsonl');
  writeFileSync(input, `${JSON.stringify({ policy_chosen_logps: -3, policy_rejected_logps: -5, ref_chosen_logps: -2.5, ref_rejected_logps: -6 })}\n`);
  const { stdout } = await prefopt(['loss', '--plugin', 'prefopt-loss-tanh', '--loss', 'tanh', '--set', 'beta=0.2', '--input', input]);
  const row = JSON.parse(stdout);
  const z = 0.2 * (-0.5 - 1);
  assert.ok(isClose(row.loss, 1 - Math.tanh(z)));
  assert.ok(isClose(row.grad.policy_chosen_logps, -0.2 * (1 - Math.tanh(z) ** 2)));
  assert.ok(isClose(row.chosen_reward, -0.1) && isClose(row.rejected_reward, 0.2));
});

test('a config-style plugin list resolves the package name from the project directory', async () => {
  const registry = await createLossRegistry({ plugins: ['prefopt-loss-tanh'], baseDir: project });
  const tanh = registry.get('tanh');
  const result = computeLoss(tanh, resolveParams(tanh, {}), {
    policyChosen: [-1], policyRejected: [-1], refChosen: [-1], refRejected: [-1], chosenLength: [1], rejectedLength: [1],
  });
  assert.equal(result.losses[0], 1);
  await assert.rejects(createLossRegistry({ plugins: ['prefopt-loss-missing'], baseDir: project }), /cannot find plugin 'prefopt-loss-missing'/);
});

test('the example package’s own kit-based test (npm test) passes in a project where prefopt is installed', async () => {
  const home = path.join(root, 'kit-project');
  const modules = path.join(home, 'node_modules');
  mkdirSync(modules, { recursive: true });
  cpSync(EXAMPLE, path.join(modules, 'prefopt-loss-tanh'), { recursive: true });
  linkPrefoptSources(modules);
  for (const dep of ['@tensorflow', 'tsx']) symlinkSync(path.join(PACKAGE_ROOT, 'node_modules', dep), path.join(modules, dep), 'dir');
  // A node:test child inherits NODE_TEST_CONTEXT and would report to us in the binary protocol: drop it.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const { stdout } = await run('npm', ['test', '--silent'], { cwd: path.join(modules, 'prefopt-loss-tanh'), env });
  assert.match(stdout, /# fail 0/);
  assert.match(stdout, /# pass (1[0-9]|[2-9][0-9])/);
});
