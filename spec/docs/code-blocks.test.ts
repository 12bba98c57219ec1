/**
 * Every code block of README.md and docs/ (docs/*.md, the example package's README) runs as
 * written, or is an output sample marked ```text:
 * - TypeScript blocks typecheck against the real API (`prefopt` resolves to core/index.ts); a page's
 *   blocks form one project, each saved under the file name the page gives it. (The plugin page's
 *   blocks also run: spec/docs/writing-a-plugin.test.ts.)
 * - YAML and JSON blocks parse; run-config blocks (whole configs or sections of one) validate with
 *   the real config loader, merged over configs/dpo.yaml; comparison configs with the arena's loader.
 * - Shell blocks: each command is a known one. `prefopt ...` lines parse with the real CLI (every
 *   command's action replaced, so nothing heavy runs), `--config` files load with the real config
 *   loader and `--set` overrides apply; `prefopt losses` and `prefopt loss` lines run for real
 *   (the loss's output is compared with the sample in the comment under it). `npm ci/start/test/run X`
 *   name scripts of package.json; `npm run bench -- NAME` a suite; `bash FILE CMD` a file and its
 *   sub-command; `npm install` of a tfjs package the version package.json pins.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { Command } from 'commander';
import ts from 'typescript';
import { parse } from 'yaml';
import { ARENA_COMMANDS } from '../../arena/index.ts';
import { loadCompareConfig } from '../../arena/compare/config.ts';
import { buildProgram } from '../../core/cli/program.ts';
import { loadConfig, resolveConfig } from '../../core/config/load.ts';
import { createLossRegistry, type LossRegistry } from '../../core/loss/index.ts';
import { docBlocks, shellCommands, type DocBlock, type ShellCommand } from '../helpers/doc-blocks.ts';
import { pluginProject, REPO_ROOT } from '../helpers/cli.ts';

const run = promisify(execFile);
const PAGES = [
  'README.md',
  ...readdirSync(path.join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
  ...readdirSync(path.join(REPO_ROOT, 'docs', 'examples')).map((d) => `docs/examples/${d}/README.md`).filter((f) => existsSync(path.join(REPO_ROOT, f))),
];
const BLOCKS = PAGES.flatMap((page) => docBlocks(page, readFileSync(path.join(REPO_ROOT, page), 'utf8')));
const where = (block: DocBlock, line = 1) => `${block.page}:${block.line + line}`;
const PACKAGE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

/** Languages with a check below; `text` marks an output sample (or an outline), which is exempt. */
const CHECKED = ['ts', 'yaml', 'json', 'sh', 'text'];
/** Commands a page may show that are not ours (not run here), with why. */
const EXTERNAL: Record<string, string> = { 'huggingface-cli': 'downloads a model from the Hugging Face Hub (network)' };
/** Commands that only feed or show text. */
const TEXT_COMMANDS = ['echo', 'printf', 'cat', 'head', 'cd'];

/** One project folder per page with TypeScript blocks, `prefopt` installed (the sources), the blocks saved in it. */
const projects = new Map<string, string>();
/** The file name a page gives a TypeScript block: in its first line (`// x.test.ts — ...`) or in the prose just above. */
function fileNameOf(block: DocBlock, index: number): string {
  const named = /^\/\/\s*([\w.-]+\.ts)\b/.exec(block.code) ?? /`([\w.-]+\.ts)`/.exec(block.before);
  return named?.[1] ?? `block-${index + 1}.ts`;
}

/** The folder config blocks of pages without TypeScript blocks are resolved in. */
let plainProject = '';

before(async () => {
  plainProject = await pluginProject();
  for (const page of new Set(BLOCKS.filter((b) => b.lang === 'ts').map((b) => b.page))) {
    const project = await pluginProject();
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'doc-project', private: true, type: 'module' }));
    BLOCKS.filter((b) => b.page === page && b.lang === 'ts').forEach((b, i) => writeFileSync(path.join(project, fileNameOf(b, i)), b.code));
    projects.set(page, project);
  }
});

// The projects hold links to this checkout (node_modules/prefopt/core): rm removes links, never what they point to.
after(() => {
  for (const dir of [plainProject, ...projects.values()]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every code block names a language that has a check (```text for output samples)', () => {
  const unchecked = BLOCKS.filter((b) => !CHECKED.includes(b.lang)).map((b) => `${b.page}:${b.line}: \`\`\`${b.lang}`);
  assert.deepEqual(unchecked, []);
});

describe('TypeScript blocks typecheck against the real API', () => {
  let problems: Map<string, string[]>;
  before(() => {
    // One program for every page (type-checking tfjs's declarations once), diagnostics per page.
    const files = [...projects].flatMap(([page, project]) => BLOCKS.filter((b) => b.page === page && b.lang === 'ts').map((b, i) => path.join(project, fileNameOf(b, i))));
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      allowImportingTsExtensions: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
    });
    problems = new Map([...projects.keys()].map((page) => [page, []]));
    for (const d of ts.getPreEmitDiagnostics(program)) {
      const page = [...projects].find(([, project]) => d.file?.fileName.startsWith(project))?.[0];
      const at = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      (problems.get(page ?? '') ?? problems.set('', []).get('')!).push(at + ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    }
  });
  for (const page of new Set(BLOCKS.filter((b) => b.lang === 'ts').map((b) => b.page))) {
    test(page, () => {
      assert.deepEqual(problems.get(page), []);
      assert.equal(problems.get(''), undefined, 'diagnostics outside the pages');
    });
  }
});

describe('YAML and JSON blocks parse, and configs validate with the real loaders', () => {
  let registry: LossRegistry;
  const base = parse(readFileSync(path.join(REPO_ROOT, 'configs', 'dpo.yaml'), 'utf8')) as Record<string, unknown>;
  before(async () => {
    registry = await createLossRegistry();
  });
  for (const block of BLOCKS.filter((b) => b.lang === 'yaml' || b.lang === 'json')) {
    test(`${block.page}:${block.line}`, async () => {
      const value = (block.lang === 'json' ? JSON.parse(block.code) : parse(block.code)) as unknown;
      assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), 'a mapping');
      const dir = projects.get(block.page) ?? plainProject;
      if ('losses' in value) {
        const file = path.join(dir, `block-${block.line}.yaml`);
        writeFileSync(file, block.code);
        await loadCompareConfig(file);
      } else {
        // A section of a run config (or a whole one): it replaces that section of a complete config.
        const unknown = Object.keys(value).filter((key) => !(key in base) && key !== 'plugins' && key !== 'reference');
        assert.deepEqual(unknown, [], 'keys of a run config');
        await resolveConfig({ ...base, ...value }, { source: `${block.page}:${block.line}`, baseDir: dir, registry });
      }
    });
  }
});

/** The program with every command's action replaced by one that records what would run. */
function dryProgram(): { program: Command; ran: { command?: string; options?: Record<string, unknown>; args?: string[] } } {
  const ran: { command?: string; options?: Record<string, unknown>; args?: string[] } = {};
  const program = buildProgram(ARENA_COMMANDS);
  const prepare = (command: Command, names: string[]) => {
    command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
    if (command.commands.length > 0) for (const sub of command.commands) prepare(sub, [...names, sub.name()]);
    else
      command.action((...args: unknown[]) => {
        ran.command = names.join(' ');
        ran.options = command.opts();
        ran.args = args.slice(0, -2) as string[];
      });
  };
  for (const command of program.commands) prepare(command, [command.name()]);
  program.configureOutput({ writeOut: () => {}, writeErr: () => {} });
  return { program, ran };
}

/** Checks a `prefopt ARGS` command without running it: it parses, and its config (if any) loads. */
async function checkPrefopt(args: string[], at: string): Promise<string> {
  const { program, ran } = dryProgram();
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    throw new Error(`${at}: prefopt ${args.join(' ')}: ${(error as Error).message}`);
  }
  assert.ok(ran.command, `${at}: prefopt ${args.join(' ')} names no command`);
  const config = ran.options?.config as string | undefined;
  if (config !== undefined && ran.command === 'train') await loadConfig(path.join(REPO_ROOT, config), { overrides: ran.options!.set as string[] });
  if (config !== undefined && ran.command === 'compare') await loadCompareConfig(path.join(REPO_ROOT, config));
  return ran.command;
}

/** Checks one simple command of a shell block; returns the prefopt command it runs, if any. */
async function checkCommand(command: ShellCommand, at: string): Promise<string | undefined> {
  const words = command.words.slice(command.words.findIndex((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)));
  const [name, ...args] = words;
  if (name === 'npx' && args[0] === 'prefopt') return checkPrefopt(args.slice(1), at);
  if (name === 'prefopt') return checkPrefopt(args, at);
  if (name === 'npx' && args[0] === 'tsx') assert.ok(existsSync(path.join(REPO_ROOT, args[1]!)), `${at}: npx tsx ${args[1]}: no such file`);
  else if (name === 'npm') {
    const [sub, ...rest] = args;
    if (sub === 'ci') assert.ok(existsSync(path.join(REPO_ROOT, 'package-lock.json')), `${at}: npm ci needs package-lock.json`);
    else if (sub === 'start' || sub === 'test') assert.ok(PACKAGE.scripts[sub], `${at}: package.json has no '${sub}' script`);
    else if (sub === 'run') {
      const script = rest[0]!;
      assert.ok(PACKAGE.scripts[script], `${at}: package.json has no '${script}' script`);
      const extra = rest.slice(rest.indexOf('--') + 1).filter((a) => rest.includes('--') && !a.startsWith('-'));
      if (script === 'bench') for (const suite of extra) assert.ok(existsSync(path.join(REPO_ROOT, 'bench', `${suite}.ts`)), `${at}: no bench suite '${suite}'`);
    } else if (sub === 'install') {
      const tfjs = PACKAGE.dependencies['@tensorflow/tfjs'];
      for (const spec of rest.filter((a) => a.startsWith('@tensorflow/'))) assert.equal(spec.split('@')[2], tfjs, `${at}: ${spec}: every @tensorflow/* package must be ${tfjs}`);
    } else assert.fail(`${at}: npm ${sub}: not a command the docs may show`);
  } else if (name === 'bash') {
    const file = path.join(REPO_ROOT, args[0]!);
    assert.ok(existsSync(file), `${at}: bash ${args[0]}: no such file`);
    if (args[1]) assert.match(readFileSync(file, 'utf8'), new RegExp(`^\\s*${args[1]}\\)`, 'm'), `${at}: ${args[0]} has no '${args[1]}' sub-command`);
  } else assert.ok(TEXT_COMMANDS.includes(name!) || EXTERNAL[name!], `${at}: '${name}' is not a command the docs may show`);
  return undefined;
}

/**
 * Checks output against a sample shown in the comment under its command (`# {"loss":0.7031...}`):
 * the same JSON, each number as precise as the sample shows it (`...` marks cut digits).
 */
function assertMatchesSample(stdout: string, comment: string, at: string): void {
  const sampleText = comment.replace(/^#\s*/, '');
  const shown = [...sampleText.matchAll(/-?\d+(?:\.(\d+))?(?:\.\.\.)?/g)].map((m) => 10 ** -(m[1]?.length ?? 0));
  const leaves = (value: unknown, at = ''): Array<[string, unknown]> =>
    typeof value === 'object' && value !== null ? Object.entries(value).flatMap(([k, v]) => leaves(v, `${at}.${k}`)) : [[at, value]];
  const sample = leaves(JSON.parse(sampleText.replaceAll('...', '')));
  const actual = new Map(leaves(JSON.parse(stdout.trim())));
  assert.deepEqual([...actual.keys()], sample.map(([key]) => key), `${at}: the output's fields differ from the sample under it`);
  sample.forEach(([key, want], i) => {
    const got = actual.get(key);
    if (typeof want === 'number') assert.ok(typeof got === 'number' && Math.abs(got - want) <= shown[i]!, `${at}: ${key} is ${got}, the sample under it shows ${want}`);
    else assert.deepEqual(got, want, `${at}: ${key}`);
  });
}

/** Runs a pipeline through bash with `prefopt` and `npx prefopt` being this checkout's CLI (its sources). */
async function runPipeline(commands: ShellCommand[]): Promise<string> {
  const quote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
  const script = commands.map((c) => c.words.map(quote).join(' ')).join(' | ');
  const shims = `prefopt() { node ${quote(path.join(REPO_ROOT, 'bin', 'prefopt.js'))} "$@"; }\nnpx() { [ "$1" = prefopt ] || exit 99; shift; prefopt "$@"; }\n`;
  const { stdout } = await run('bash', ['-eo', 'pipefail', '-c', shims + script], { cwd: REPO_ROOT, env: { ...process.env, PREFOPT_FROM_SOURCE: '1', PREFOPT_BACKEND: 'cpu' } });
  return stdout;
}

describe('shell blocks: every command exists, and prefopt command lines parse (losses and loss run)', () => {
  for (const block of BLOCKS.filter((b) => b.lang === 'sh')) {
    test(`${block.page}:${block.line}`, async () => {
      const commands = shellCommands(block.code);
      assert.ok(commands.length > 0, 'an empty shell block');
      let pipeline: ShellCommand[] = [];
      let cheap = true;
      for (const command of commands) {
        pipeline.push(command);
        const prefopt = await checkCommand(command, where(block, command.line));
        if (prefopt !== undefined) cheap &&= (prefopt === 'losses' || prefopt === 'loss') && !command.words.some((w) => w === '--plugin' || w === '--input');
        if (command.pipesInto) continue;
        // Runs a pipeline of cheap prefopt commands (not the plugin page's: writing-a-plugin.test.ts runs those).
        if (cheap && pipeline.some((c) => c.words.includes('prefopt')) && block.page !== 'docs/writing-a-plugin.md') {
          const stdout = await runPipeline(pipeline);
          assert.ok(stdout.trim() !== '', `${where(block, command.line)}: no output`);
          if (command.comment?.startsWith('# {')) assertMatchesSample(stdout, command.comment, where(block, command.line));
        }
        cheap = true;
        pipeline = [];
      }
    });
  }
});
