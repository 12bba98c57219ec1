/**
 * Runs the prefopt CLI as a user would (`node bin/prefopt.js ...`) and captures its output. The
 * specs test the sources: the CLI runs them through tsx (PREFOPT_FROM_SOURCE=1), not dist/.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(REPO_ROOT, 'bin/prefopt.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `timeoutMs` (default 120 s) bounds the run; whole experiments on a loaded machine need more. */
export function runCli(args: string[], options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    input: options.input ?? '',
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, PREFOPT_FROM_SOURCE: '1', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Parses JSONL output into objects. */
export function parseJsonl(text: string): any[] {
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));
}

/**
 * Installs this checkout's sources as `<modules>/prefopt`: a package.json whose exports name the
 * TypeScript sources (not dist/, which the specs do not test and a fresh worktree lacks) and a
 * link to core/. Node follows the link, so `import 'prefopt'` is the very module the specs load.
 */
export function linkPrefoptSources(modules: string): void {
  const dir = path.join(modules, 'prefopt');
  mkdirSync(dir, { recursive: true });
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const exports = { '.': './core/index.ts', './testing': './core/testing/index.ts' };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'prefopt', version, type: 'module', exports }));
  symlinkSync(path.join(REPO_ROOT, 'core'), path.join(dir, 'core'), 'dir');
}

/**
 * A temporary project folder in which `prefopt` and `@tensorflow/tfjs` resolve (as in a user's
 * project with prefopt installed), for plugin files written by tests.
 */
export async function pluginProject(): Promise<string> {
  const { mkdtemp, mkdir, symlink } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-project-'));
  await mkdir(path.join(dir, 'node_modules'));
  linkPrefoptSources(path.join(dir, 'node_modules'));
  await symlink(path.join(REPO_ROOT, 'node_modules', '@tensorflow'), path.join(dir, 'node_modules', '@tensorflow'));
  return dir;
}
