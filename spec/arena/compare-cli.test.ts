/**
 * `prefopt compare --config FILE` with a third-party loss listed in the config: a tiny model, a few
 * steps, two seeds, two runs at a time; it writes the report (table with standard errors, paired
 * comparisons), results.json with per-seed numbers and per-question scores, and the plots. A
 * stopped comparison resumes: only the unfinished run is redone. A bad config is one line naming
 * the file, the key and the line.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { pluginProject, runCli } from '../helpers/cli.ts';

const PLUGIN = `import { tf, betaParam, betaRewards, logRatios } from 'prefopt';
export default { name: 'scaled-hinge', description: 'hinge times 2', formula: '2*max(0, 1 - beta*(rho_c - rho_r))',
  paper: { title: 'test', url: 'none' }, paramsSchema: { type: 'object', properties: { beta: betaParam } }, requiresReference: true,
  compute(inputs, { beta }) { const rho = logRatios(inputs);
    return { losses: tf.mul(tf.relu(tf.sub(1, tf.mul(tf.sub(rho.chosen, rho.rejected), beta))), 2), ...betaRewards(rho, beta) }; } };
`;

const CONFIG = `# A tiny comparison: the plugin against dpo.
name: tiny
plugins: [./scaled-hinge.ts]
losses:
  - dpo
  - { name: scaled-hinge, beta: 0.5 }
learningRates: [1.0e-2]
seeds: [1, 2]
task: { sftTrain: 16, preferenceTrain: 12, eval: 4, test: 5, maxNumber: 20 }
sft:
  model: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 256 }
  steps: 2
  batchSize: 4
maxLength: 256
preference: { steps: 2, batchSize: 4, logEvery: 1 }
generation: { batchSize: 5, maxNewTokens: 6 }
backend: wasm
workers: 2
`;

test('prefopt compare: a plugin loss listed in the config against dpo, report with standard errors and paired comparisons; a stopped comparison resumes', async () => {
  const dir = await pluginProject();
  await writeFile(path.join(dir, 'scaled-hinge.ts'), PLUGIN);
  await writeFile(path.join(dir, 'compare.yaml'), CONFIG);
  const out = path.join(dir, 'out');
  const first = runCli(['compare', '--config', path.join(dir, 'compare.yaml'), '--out', out], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(first.status, 0, first.stderr);
  for (const line of ['== 1/5 data', '== 2/5 SFT', '== 3/5 preference pairs (close)', '== 4/5 preference runs: dpo, scaled-hinge x lr 1e-2 x seeds 1, 2 = 4 runs, 2 at a time', '[4/4]', '== 5/5 report']) {
    assert.ok(first.stderr.includes(line), `stderr lacks '${line}'`);
  }
  assert.match(first.stdout, /method\s+lr\s+seeds\s+test acc %/);
  assert.match(first.stdout, /scaled-hinge\s+1e-2\s+2\s/);
  assert.match(first.stdout, /lr 1e-2: scaled-hinge - dpo = [+-]\d+\.\d points test accuracy \(95% interval \[[+-]\d+\.\d, [+-]\d+\.\d\] points; sign test \d+:\d+, p = [\d.e-]+; 2 seeds x 5 questions\)/);
  assert.match(first.stdout, /lr 1e-2: scaled-hinge - SFT = /);

  const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
  assert.equal(results.runs.length, 4);
  for (const run of results.runs) {
    assert.equal(run.correct.length, 5, 'per-question scores of every run');
    assert.ok(run.correct.every((x: number) => x === 0 || x === 1));
    assert.ok([1, 2].includes(run.summary.seed));
  }
  assert.deepEqual(results.runs.map((r: any) => r.summary.method).sort(), ['dpo', 'dpo', 'scaled-hinge', 'scaled-hinge']);
  assert.equal(results.sftModels.length, 1, 'one SFT model shared by the seeds');
  assert.equal(results.sftModels[0].correct.length, 5);
  const report = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(report, /## Paired comparisons/);
  assert.match(report, /\| scaled-hinge \| 1e-2 \| 2 \|/);
  const files = await readdir(out);
  for (const svg of ['accuracy-vs-lr.svg', 'drift-chosen.svg', 'drift-rejected.svg', 'loss.svg']) assert.ok(files.includes(svg), svg);
  const drift = await readFile(path.join(out, 'drift-chosen.svg'), 'utf8');
  assert.ok(drift.startsWith('<svg') && drift.includes('scaled-hinge'));

  // Stop mid-way (simulated: one run's result is missing): the next invocation redoes only that run.
  const redo = 'scaled-hinge-lr1e-2-seed2';
  await rm(path.join(out, 'runs', redo, 'result.json'));
  const second = runCli(['compare', '--config', path.join(dir, 'compare.yaml'), '--out', out], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /= 4 runs, 1 at a time \(\d+ gradient threads? each\) \(3 finished before: skipped\)/);
  assert.ok(second.stderr.includes(`start ${redo}`));
  assert.equal((second.stderr.match(/ start /g) ?? []).length, 1, 'only the unfinished run started');
  assert.ok(!second.stderr.includes('prefopt train: stage sft'), 'the SFT model is reused');
  assert.equal(JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8')).runs.length, 4);
});

test('prefopt compare with sft.perSeed: one SFT model per seed, trained with that seed (and sft.weightDecay), each the start of its seed\'s runs, which wait only for it; "method - SFT" pairs every run with its own start', async () => {
  const dir = await pluginProject();
  const config = CONFIG.replace('plugins: [./scaled-hinge.ts]\n', '').replace('  - { name: scaled-hinge, beta: 0.5 }\n', '').replace('  batchSize: 4\nmaxLength', '  batchSize: 4\n  perSeed: true\n  weightDecay: 0.5\nmaxLength');
  assert.match(config, /perSeed: true/);
  await writeFile(path.join(dir, 'compare.yaml'), config);
  const out = path.join(dir, 'out');
  const result = runCli(['compare', '--config', path.join(dir, 'compare.yaml'), '--out', out], { cwd: dir, timeoutMs: 600_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(result.stderr.includes('== 2/5 SFT: one model per seed (1, 2)'), result.stderr);
  assert.match(result.stderr, /SFT models: test accuracy \d+\.\d ± \d+\.\d% \(mean ± standard error over 2 seeds\)/);
  for (const seed of [1, 2]) {
    const ready = result.stderr.indexOf(`  sft seed ${seed}: test accuracy`), started = result.stderr.indexOf(`  start dpo-lr1e-2-seed${seed}\n`);
    assert.ok(ready >= 0 && started > ready, `seed ${seed}'s run starts only after its own SFT model is ready`);
  }
  const results = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
  assert.deepEqual(results.sftModels.map((m: any) => m.seed), [1, 2]);
  for (const seed of [1, 2]) {
    const spec = JSON.parse(await readFile(path.join(out, 'runs', `dpo-lr1e-2-seed${seed}`, 'spec.json'), 'utf8'));
    assert.equal(spec.files.sftModelDir, path.join(out, 'sft', `seed-${seed}`, 'train', 'model'));
    const sftRun = JSON.parse(await readFile(path.join(out, 'sft', `seed-${seed}`, 'train', 'config.json'), 'utf8'));
    assert.equal(sftRun.train.seed, seed, 'the SFT model of seed s is trained with seed s');
    assert.equal(sftRun.train.weightDecay, 0.5, 'sft.weightDecay reaches the SFT run');
    const sft = results.sftModels[seed - 1];
    assert.equal(results.runs.find((r: any) => r.summary.seed === seed).summary.accuracyBefore, sft.accuracy, 'each run\'s "before" is its own SFT model');
  }
  assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /SFT: .*AdamW lr [^,]+ cosine, weight decay 0\.5, one model per seed/, 'the report\'s setup names the SFT weight decay');
  // The two SFT models differ (different init): their first weights are not equal.
  const weights = await Promise.all([1, 2].map((seed) => readFile(path.join(out, 'sft', `seed-${seed}`, 'train', 'model', 'model.safetensors'))));
  assert.ok(!weights[0]!.equals(weights[1]!), 'seed 1 and seed 2 trained different models');
  const vsSft = results.comparisons.find((c: any) => c.a === 'SFT' && c.b === 'dpo');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const runMean = mean(results.runs.map((r: any) => mean(r.correct)));
  const sftMean = mean(results.sftModels.map((m: any) => mean(m.correct)));
  assert.ok(Math.abs(vsSft.difference.mean - (runMean - sftMean)) < 1e-9, 'dpo - SFT is the mean over seeds of each run minus its own SFT model');
});

test('prefopt compare: a bad config is one line naming the file, the key, the value and the line; an unknown loss lists the known ones', async () => {
  const dir = await pluginProject();
  const file = path.join(dir, 'bad.yaml');
  await writeFile(file, 'losses: [dpo]\nlearningRates: [1.0e-2, -1]\n');
  const bad = runCli(['compare', '--config', file], { cwd: dir });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^prefopt: .*bad\.yaml: learningRates\[1\] must be > 0 \(got -1; line 2\)\n$/);
  await writeFile(file, 'losses:\n  - dpo\n  - nope\nlearningRates: [1.0e-2]\n');
  const unknown = runCli(['compare', '--config', file], { cwd: dir });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^prefopt: .*bad\.yaml: losses\[1\]\.name: unknown loss "nope" \(known: dpo \(sigmoid\), minor-dpo, .*dpop.*\) \(line 3\)\n$/);
  await writeFile(file, 'losses: [{ name: dpo, beta: 0 }]\nlearningRates: [1.0e-2]\n');
  const param = runCli(['compare', '--config', file], { cwd: dir });
  assert.equal(param.status, 1);
  assert.match(param.stderr, /^prefopt: .*bad\.yaml: losses\[0\]\.beta must be > 0 \(got 0; line 1\)\n$/);
});

test('the example comparison of docs/arena.md (configs/compare/beta-grid.yaml) is valid: 3 losses x 2 betas = 6 labelled methods', async () => {
  const { loadCompareConfig, methodsOf } = await import('../../arena/compare/config.ts');
  const { config } = await loadCompareConfig(path.join(import.meta.dirname, '../../configs/compare/beta-grid.yaml'));
  assert.deepEqual(methodsOf(config).map((m) => m.label), [
    'dpo(beta=0.05)', 'dpo(beta=0.1)', 'minor-dpo(beta=0.05)', 'minor-dpo(beta=0.1)', 'dpop(beta=0.05)', 'dpop(beta=0.1)',
  ]);
  // The same loss twice with different params: labels spell the params out.
  const twice = methodsOf({ ...config, params: {}, losses: [{ name: 'dpo', beta: 0.1 }, { name: 'dpo', beta: 0.3 }] });
  assert.deepEqual(twice.map((m) => m.label), ['dpo(beta=0.1)', 'dpo(beta=0.3)']);
  assert.throws(() => methodsOf({ ...config, params: {}, losses: [{ name: 'dpo' }, { name: 'dpo' }] }), /'dpo' is listed twice with the same params/);
  assert.deepEqual(config.seeds, [1, 2, 3]);
});

test('every reproduce profile is a valid comparison config whose splits the generator can draw', async () => {
  const { resolveCompareConfig } = await import('../../arena/compare/config.ts');
  const { PROFILES, profileNamed } = await import('../../arena/reproduce/profiles.ts');
  const { generateArithSplits } = await import('../../arena/task/index.ts');
  for (const name of Object.keys(PROFILES)) {
    const { config } = await resolveCompareConfig(profileNamed(name), { source: name, baseDir: process.cwd() });
    const t = config.task;
    const splits = generateArithSplits({ seed: t.seed, train: t.sftTrain + t.preferenceTrain, eval: t.eval, test: t.test, maxNumber: t.maxNumber, maxSteps: t.maxSteps });
    assert.equal(splits.test.length, t.test, name);
  }
  const quick = (await resolveCompareConfig(profileNamed('quick'), { source: 'quick', baseDir: process.cwd() })).config;
  assert.deepEqual(quick.losses.map((l: any) => l.name), ['dpo', 'minor-dpo', 'dpop']);
  assert.ok(quick.seeds.length >= 3 && quick.task.test >= 300, 'the paper profile: >= 3 seeds, >= 300 test questions');
  const full = (await resolveCompareConfig(profileNamed('full'), { source: 'full', baseDir: process.cwd() })).config;
  assert.ok(quick.seeds.every((s: number) => full.seeds.includes(s)) && full.seeds.length > quick.seeds.length, 'full has more seeds than quick, quick\'s among them');
  assert.ok(quick.learningRates.every((r: number) => full.learningRates.includes(r)) && full.learningRates.length > quick.learningRates.length, 'full has more rates than quick, quick\'s among them');
  assert.equal(full.sft.perSeed, true, 'full: one SFT model per seed');
  for (const profile of [quick, full]) assert.ok(profile.sft.weightDecay > 0, `${profile.name}: the paper profiles' SFT uses weight decay`);
});
