/**
 * prefopt as others install it: `npm pack` gives compiled JavaScript with declarations; installed
 * into a fresh project, the CLI and `prefopt`/`prefopt/testing` work, `prefopt losses` loads no
 * TensorFlow.js, and a plugin installed from a folder that carries its own `prefopt` and
 * `@tensorflow/tfjs` still runs on the one prefopt and the one tfjs (no duplicate kernels),
 * through the CLI and through the kit.
 *
 * Offline, npm cannot resolve prefopt's dependencies for a fresh project (it needs the registry's
 * metadata), and an install over linked dependencies would write through the links. So the test
 * does what `npm install <tarball>` and `npm install <folder>` produce: the tarball unpacked as
 * node_modules/prefopt (its dependencies linked to this checkout's node_modules) and the plugin
 * folder linked as node_modules/<name>.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.ts';

const root = mkdtempSync(path.join(tmpdir(), 'prefopt-install-'));
const project = path.join(root, 'project');
const installed = path.join(project, 'node_modules', 'prefopt');
const BIN = path.join(project, 'node_modules', '.bin', 'prefopt');
after(() => rmSync(root, { recursive: true, force: true }));

/** A fake package that announces itself on stderr if anything imports it. */
function decoy(dir: string, name: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '0.0.1', type: 'module', main: 'index.js', exports: { '.': './index.js', './testing': './index.js' } }));
  writeFileSync(path.join(dir, 'index.js'), `process.stderr.write('SECOND COPY OF ${name} LOADED\\n');\nexport const tf = {};\n`);
}

const PLUGIN = `import { tf, betaParam, betaRewards, logRatios, logSigmoid } from 'prefopt';
import * as tfjs from '@tensorflow/tfjs';

/** twice-dpo: 2 * DPO, written as docs/writing-a-plugin.md says (prefopt's tf), plus one direct tfjs import. */
export default {
  name: 'twice-dpo',
  aliases: [],
  description: 'Twice the DPO loss.',
  formula: 'loss = -2 log sigma(beta*(rho_c - rho_r))',
  paper: { title: 'Direct Preference Optimization', url: 'https://arxiv.org/abs/2305.18290' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [{ kind: 'rho-shift-invariant' }, { kind: 'value-at-zero-rho', value: () => 2 * Math.LN2 }, { kind: 'non-increasing-in-chosen' }],
  compute(inputs, { beta }) {
    if (tfjs.mul !== tf.mul) throw new Error('two copies of tfjs');
    const rho = logRatios(inputs);
    const z = tf.mul(tf.sub(rho.chosen, rho.rejected), beta);
    return { losses: tf.mul(logSigmoid(z), -2), ...betaRewards(rho, beta) };
  },
};
`;

before(() => {
  // npm pack runs `prepare` (the build) and packs what package.json's `files` lists. It runs on a
  // copy of the tracked files, so that this checkout's dist/ is not rebuilt under other tests.
  const source = path.join(root, 'source');
  for (const file of execFileSync('git', ['ls-files', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean)) {
    if (!existsSync(path.join(REPO_ROOT, file))) continue;
    mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
    copyFileSync(path.join(REPO_ROOT, file), path.join(source, file));
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', root], { cwd: source, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['xzf', path.join(root, filename), '-C', installed, '--strip-components=1']);
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(installed, 'node_modules'), 'dir');
  mkdirSync(path.join(project, 'node_modules', '.bin'));
  symlinkSync(path.join(installed, 'bin', 'prefopt.js'), BIN);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  symlinkSync(path.join(REPO_ROOT, 'node_modules', '@types'), path.join(project, 'node_modules', '@types'), 'dir');
  // Says on exit whether TensorFlow.js was loaded (it sets a global engine when imported).
  writeFileSync(path.join(root, 'probe.mjs'), "process.on('exit', () => process.stderr.write(`tfjs loaded: ${globalThis._tfengine !== undefined}\\n`));\n");

  // The plugin, developed in its own folder with its own prefopt and tfjs (decoys here).
  const folder = path.join(root, 'prefopt-loss-twice');
  mkdirSync(folder);
  writeFileSync(path.join(folder, 'package.json'), JSON.stringify({ name: 'prefopt-loss-twice', version: '1.0.0', type: 'module', exports: { '.': './index.js' }, peerDependencies: { prefopt: '>=0.1.0' } }));
  writeFileSync(path.join(folder, 'index.js'), PLUGIN);
  decoy(path.join(folder, 'node_modules', 'prefopt'), 'prefopt');
  decoy(path.join(folder, 'node_modules', '@tensorflow', 'tfjs'), '@tensorflow/tfjs');
  symlinkSync(folder, path.join(project, 'node_modules', 'prefopt-loss-twice'), 'dir');
});

const prefopt = (args: string[], input = '') =>
  spawnSync(process.execPath, ['--import', path.join(root, 'probe.mjs'), BIN, ...args], { cwd: project, input, encoding: 'utf8', env: { ...process.env, PREFOPT_BACKEND: 'cpu' } });

test('the packed package holds compiled JavaScript, declarations and the built registry, and no TypeScript sources', () => {
  for (const file of ['dist/core/index.js', 'dist/core/index.d.ts', 'dist/core/testing/index.js', 'dist/core/testing/index.d.ts', 'dist/plugins/dpo/index.js', 'dist/registry.json', 'bin/prefopt.js']) {
    assert.ok(existsSync(path.join(installed, file)), file);
  }
  assert.ok(!existsSync(path.join(installed, 'core')) && !existsSync(path.join(installed, 'spec')), 'no sources, no specs');
  const manifest = JSON.parse(readFileSync(path.join(installed, 'dist/registry.json'), 'utf8'));
  assert.ok(manifest.plugins.every((entry: { module: string; listing?: object }) => entry.module.endsWith('.js') && entry.listing));
});

test('installed: `prefopt losses` lists every loss without importing TensorFlow.js; `prefopt loss` computes DPO', () => {
  const losses = prefopt(['losses', '--json']);
  assert.equal(losses.status, 0, losses.stderr);
  assert.equal(JSON.parse(losses.stdout).length, JSON.parse(readFileSync(path.join(REPO_ROOT, 'registry.json'), 'utf8')).plugins.length);
  assert.match(losses.stderr, /tfjs loaded: false/);
  const loss = prefopt(['loss', '--loss', 'dpo'], JSON.stringify({ policy_chosen_logps: -1, policy_rejected_logps: -1, ref_chosen_logps: -1, ref_rejected_logps: -1 }));
  assert.equal(loss.status, 0, loss.stderr);
  assert.ok(Math.abs(JSON.parse(loss.stdout).loss - Math.LN2) < 1e-6);
  assert.match(loss.stderr, /tfjs loaded: true/);
});

test('a plugin installed from a folder with its own prefopt and tfjs runs on the one prefopt and tfjs: no second copy, no duplicate kernels', () => {
  const listed = prefopt(['losses', '--plugin', 'prefopt-loss-twice']);
  assert.equal(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /^twice-dpo /m);
  const result = prefopt(['loss', '--plugin', 'prefopt-loss-twice', '--loss', 'twice-dpo'], JSON.stringify({ policy_chosen_logps: -2, policy_rejected_logps: -2, ref_chosen_logps: -3, ref_rejected_logps: -3 }));
  assert.equal(result.status, 0, result.stderr);
  assert.ok(Math.abs(JSON.parse(result.stdout).loss - 2 * Math.LN2) < 1e-6);
  for (const output of [listed.stderr, result.stderr]) assert.doesNotMatch(output, /SECOND COPY|already registered/);
});

test('the kit checks the folder-installed plugin from the user project, with no duplicate kernels', () => {
  writeFileSync(
    path.join(project, 'kit.test.mjs'),
    `import { LossRegistry, loadPlugin } from 'prefopt';\nimport { testLoss } from 'prefopt/testing';\n` +
      `const registry = new LossRegistry();\nawait loadPlugin('prefopt-loss-twice', registry);\ntestLoss(registry.get('twice-dpo'), { numRuns: 10, seed: 1 });\n`,
  );
  // A node:test child inherits NODE_TEST_CONTEXT and would report to us in the binary protocol: drop it.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const result = spawnSync(process.execPath, ['--test', 'kit.test.mjs'], { cwd: project, encoding: 'utf8', env });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /# fail 0/);
  assert.doesNotMatch(result.stdout + result.stderr, /SECOND COPY|already registered/);
});

test('TypeScript: a plugin file importing prefopt and prefopt/testing typechecks against the installed declarations', () => {
  writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['check.ts'] }));
  writeFileSync(
    path.join(project, 'check.ts'),
    `import { tf, betaParam, type PreferenceLoss } from 'prefopt';\nimport { testLoss } from 'prefopt/testing';\n` +
      `const loss: PreferenceLoss<{ [key: string]: unknown; beta: number }> = { name: 'x', description: 'd', formula: 'f', paper: { title: 't', url: 'u' },\n` +
      `  paramsSchema: { type: 'object', properties: { beta: betaParam } }, requiresReference: false,\n` +
      `  compute: (i, { beta }) => ({ losses: tf.mul(i.policyChosen, beta), chosenRewards: i.policyChosen, rejectedRewards: i.policyRejected }) };\n` +
      `export const run: typeof testLoss = testLoss;\nexport default loss;\n`,
  );
  const tsc = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
});
