#!/usr/bin/env node
// `npm run kit-soak [-- --runs N] [-- --keep]`: the plugin package of docs/writing-a-plugin.md
// (docs/examples/prefopt-loss-example) against prefopt as a user installs it, many times over.
//
// 1. Packs prefopt (`npm pack` of a copy of the tracked files: `prepare` builds dist/).
// 2. Makes two fresh projects and installs into each, with the real npm client:
//      tarball: npm install <prefopt-x.y.z.tgz>
//      folder:  npm install <the copy's folder>   (after `npm ci` there; npm links a folder and
//               runs its `prepare`, the build)
//    and in both the example plugin package (its `npm pack` tarball), in the same `npm install`.
// 3. In each project runs the plugin's kit test (its test/tanh.test.js, importing the installed
//    package) N times with the kit's fixed seed and N times with PREFOPT_KIT_SEED=random, and
//    counts failing runs and "already registered" (duplicate tfjs kernel) warnings.
//
// npm runs with --prefer-offline (the npm cache serves what it holds). Slow by design (2 x 2N kit
// runs on wasm and cpu): not part of `npm test`; spec/package/install.test.ts is the quick check.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 10) || 10;
const keep = args.includes('--keep');
const root = mkdtempSync(path.join(tmpdir(), 'prefopt-kit-soak-'));
const npmFlags = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const log = (line) => process.stdout.write(`${line}\n`);

function npm(cwd, npmArgs) {
  execFileSync('npm', [...npmArgs, ...npmFlags], { cwd, stdio: ['ignore', 'ignore', 'inherit'] });
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(0)} s`;
}

// 1. A copy of the tracked files, built and packed.
let since = Date.now();
const source = path.join(root, 'prefopt');
for (const file of execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean)) {
  if (!existsSync(path.join(repo, file))) continue;
  mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
  cpSync(path.join(repo, file), path.join(source, file));
}
// Built with this checkout's node_modules (a link, removed after: the folder install gets its own).
symlinkSync(path.join(repo, 'node_modules'), path.join(source, 'node_modules'), 'dir');
const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', root], { cwd: source, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
unlinkSync(path.join(source, 'node_modules'));
// What docs/writing-a-plugin.md asks before a folder install: `npm ci` in the clone (its dist/ is
// built already; --ignore-scripts skips dependencies' download scripts, which need the network).
npm(source, ['ci', '--ignore-scripts']);
const tarball = path.join(root, filename);
log(`packed ${filename} (${seconds(since)})`);

// 2. Two fresh projects.
// The plugin as its author publishes it: its own `npm pack` tarball.
const plugin = path.join(root, 'prefopt-loss-example');
cpSync(path.join(repo, 'docs', 'examples', 'prefopt-loss-example'), plugin, { recursive: true });
const [{ filename: pluginFile }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', root], { cwd: plugin, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
const pluginTarball = path.join(root, pluginFile);
const projects = { tarball, folder: source };
for (const [kind, from] of Object.entries(projects)) {
  since = Date.now();
  const project = path.join(root, `project-${kind}`);
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: `user-project-${kind}`, private: true, type: 'module' }));
  npm(project, ['install', from, pluginTarball]);
  // The plugin's own kit test, run against the installed package (its test/ is not in `files`).
  mkdirSync(path.join(project, 'test'));
  writeFileSync(
    path.join(project, 'test', 'tanh.test.js'),
    readFileSync(path.join(plugin, 'test', 'tanh.test.js'), 'utf8').replace("from '../index.js'", "from 'prefopt-loss-tanh'"),
  );
  const linked = lstatSync(path.join(project, 'node_modules', 'prefopt')).isSymbolicLink() ? 'a link to the folder' : 'a copy';
  log(`project-${kind}: prefopt installed as ${linked}, prefopt-loss-tanh installed (${seconds(since)})`);
}

// 3. The kit, `runs` times per seed mode per project.
const { NODE_TEST_CONTEXT: _, ...env } = process.env;
const results = [];
for (const kind of Object.keys(projects)) {
  for (const seed of ['fixed', 'random']) {
    let failed = 0;
    let warnings = 0;
    let tests = 0;
    since = Date.now();
    for (let i = 0; i < runs; i++) {
      const result = spawnSync(process.execPath, ['--test', 'test/tanh.test.js'], {
        cwd: path.join(root, `project-${kind}`),
        encoding: 'utf8',
        env: seed === 'random' ? { ...env, PREFOPT_KIT_SEED: 'random' } : env,
      });
      const output = result.stdout + result.stderr;
      const pass = Number(/# pass (\d+)/.exec(output)?.[1] ?? 0);
      const ok = result.status === 0 && /# fail 0/.test(output) && pass > 0;
      tests = Math.max(tests, pass);
      if (!ok) {
        failed++;
        log(`project-${kind}, ${seed} seed, run ${i + 1}: FAILED (status ${result.status})\n${output.split('\n').filter((l) => /not ok|seed|Error/.test(l)).slice(0, 20).join('\n')}`);
      }
      warnings += (output.match(/already registered/g) ?? []).length;
    }
    results.push({ project: kind, seed, runs, failed, passedTestsPerRun: tests, alreadyRegisteredWarnings: warnings, time: seconds(since) });
    log(`project-${kind}, ${seed} seed: ${runs - failed}/${runs} runs passed (${tests} kit tests each), ${warnings} "already registered" warnings (${seconds(since)})`);
  }
}

log(JSON.stringify(results, null, 2));
if (!keep) rmSync(root, { recursive: true, force: true });
else log(`kept ${root}`);
process.exit(results.some((r) => r.failed > 0 || r.alreadyRegisteredWarnings > 0) ? 1 : 0);
