/**
 * The fuzz harness: runs the prefopt CLI in-process on one generated case and checks what every
 * case must satisfy, whatever the input:
 *
 *   - it ends within a time bound (no hang),
 *   - exit 0 with output the case's own check accepts, or a user error: exit 1 and exactly one
 *     line `prefopt: ...` on stderr (commander's usage errors: its exit code and message),
 *   - no stack trace and no source dump on stdout or stderr, no exception escaping the CLI,
 *   - no file outside the case's declared outputs created, changed or removed.
 *
 * Running in-process (no node + tsx start per case) keeps a case at milliseconds; the CLI's
 * writes to stdout/stderr are captured while it runs.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../../core/cli/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
  /** An exception that escaped main() (a bug: a real process would print its stack). */
  crash?: unknown;
  timedOut: boolean;
}

let running = false;

/** Runs `prefopt ARGV` in this process, capturing its output, bounded by `timeoutMs`. */
export async function runCli(argv: string[], timeoutMs: number): Promise<CliRun> {
  if (running) throw new Error('runCli: one case at a time');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const realOut = process.stdout.write.bind(process.stdout);
  const realErr = process.stderr.write.bind(process.stderr);
  const capture = (sink: string[]) =>
    ((chunk: unknown, ...rest: unknown[]) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      main(argv).then((code) => ({ code }), (crash: unknown) => ({ code: 70, crash })),
      new Promise<{ code: number; timedOut: true }>((resolve) => {
        timer = setTimeout(() => resolve({ code: 124, timedOut: true }), timeoutMs);
      }),
    ]);
    return {
      code: outcome.code,
      stdout: out.join(''),
      stderr: err.join(''),
      ms: Date.now() - started,
      crash: 'crash' in outcome ? outcome.crash : undefined,
      timedOut: 'timedOut' in outcome,
    };
  } finally {
    clearTimeout(timer);
    process.stdout.write = realOut;
    process.stderr.write = realErr;
    running = false;
  }
}

/** Size and modification time of every file under `root`, by path (the state a case must not change). */
export async function snapshot(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (dir: string) => {
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const full = path.join(dir, name);
      const info = await lstat(full).catch(() => undefined);
      if (!info) continue;
      if (info.isDirectory()) await walk(full);
      else files.set(full, `${info.size}:${info.mtimeMs}`);
    }
  };
  await walk(root);
  return files;
}

/** Paths created, changed or removed between two snapshots, except under `allowed` prefixes. */
export function touchedFiles(before: Map<string, string>, after: Map<string, string>, allowed: readonly string[]): string[] {
  const inAllowed = (file: string) => allowed.some((prefix) => file === prefix || file.startsWith(`${prefix}${path.sep}`));
  const changed = new Set<string>();
  for (const [file, stamp] of before) if (after.get(file) !== stamp) changed.add(file);
  for (const file of after.keys()) if (!before.has(file)) changed.add(file);
  return [...changed].filter((file) => !inAllowed(file)).sort();
}

/** Why a run's output breaks the rules every case shares, or undefined. `check` judges a successful run's stdout. */
export function violation(run: CliRun, check: (stdout: string) => string | undefined): string | undefined {
  if (run.timedOut) return `hang: no result after ${run.ms} ms`;
  if (run.crash !== undefined) return `stack trace: an exception escaped the CLI: ${String((run.crash as Error)?.stack ?? run.crash).split('\n').slice(0, 3).join(' | ')}`;
  const text = `${run.stdout}\n${run.stderr}`;
  if (/\n\s+at .+(\(|:\d+:\d+)/.test(text)) return 'stack trace printed';
  if (run.stderr.length > 20_000) return `stderr of ${run.stderr.length} characters (a source dump?)`;
  if (run.code === 0) return check(run.stdout);
  if (run.code === 1) {
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    const errors = lines.filter((l) => l.startsWith('prefopt: '));
    if (errors.length === 1 && lines.at(-1) === errors[0]) return undefined;
    if (lines.some((l) => l.startsWith('error: '))) return undefined; // commander: usage error + help
    return `exit 1 without exactly one 'prefopt: ...' error line: ${JSON.stringify(run.stderr.slice(-300))}`;
  }
  return `exit code ${run.code}: ${JSON.stringify(run.stderr.slice(-300))}`;
}
