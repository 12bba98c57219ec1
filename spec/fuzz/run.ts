/**
 * Runs generated cases of every input kind through the CLI (in-process) and collects the ones that
 * break a rule (harness.ts). Used by spec/fuzz/fuzz.test.ts at a CI size and by `npm run fuzz`
 * (spec/fuzz/main.ts) at thousands of cases.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSandbox, GENERATORS, Random, type Sandbox } from './cases.ts';
import { runCli, snapshot, touchedFiles, violation } from './harness.ts';

export interface FuzzFailure {
  kind: string;
  seed: number;
  description: string;
  reason: string;
}

export interface FuzzSummary {
  cases: number;
  byKind: Record<string, { cases: number; accepted: number; rejected: number }>;
  failures: FuzzFailure[];
  stackTraces: number;
  hangs: number;
  seconds: number;
}

export interface FuzzOptions {
  /** Cases per input kind. */
  perKind: number;
  seed: number;
  kinds?: string[];
  /** Cases of kinds that train (slow) per kind; default perKind / 20, at least 1. */
  trainCases?: number;
  log?: (line: string) => void;
}

/** One case of one kind, from its seed; returns the failure, if any. */
export async function runCase(kind: string, seed: number, sandbox: Sandbox, casesDir: string): Promise<{ failure?: FuzzFailure; code: number }> {
  const dir = path.join(casesDir, `${kind}-${seed}`);
  await mkdir(dir, { recursive: true });
  const fuzzCase = await GENERATORS[kind]!(new Random(seed), dir, sandbox);
  const before = new Map([...(await snapshot(path.join(sandbox.root, 'base'))), ...(await snapshot(dir))]);
  const run = await runCli(fuzzCase.argv, fuzzCase.timeoutMs);
  const after = new Map([...(await snapshot(path.join(sandbox.root, 'base'))), ...(await snapshot(dir))]);
  let reason = violation(run, (stdout) => fuzzCase.check(stdout));
  const touched = touchedFiles(before, after, fuzzCase.outputs);
  if (!reason && touched.length > 0) reason = `touched files outside its outputs: ${touched.map((f) => path.relative(sandbox.root, f)).join(', ')}`;
  await rm(dir, { recursive: true, force: true });
  return { code: run.code, ...(reason ? { failure: { kind, seed, description: fuzzCase.description, reason } } : {}) };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const root = await mkdtemp(path.join(tmpdir(), 'prefopt-fuzz-'));
  const sandbox = await createSandbox(path.join(root, 'base'));
  sandbox.root = root;
  const casesDir = path.join(root, 'cases');
  const kinds = options.kinds ?? Object.keys(GENERATORS);
  const summary: FuzzSummary = { cases: 0, byKind: {}, failures: [], stackTraces: 0, hangs: 0, seconds: 0 };
  try {
    for (const kind of kinds) {
      const count = kind === 'train-output' ? (options.trainCases ?? Math.max(1, Math.round(options.perKind / 20))) : options.perKind;
      const stats = (summary.byKind[kind] = { cases: 0, accepted: 0, rejected: 0 });
      for (let i = 0; i < count; i++) {
        const seed = options.seed * 100_003 + i;
        const { failure, code } = await runCase(kind, seed, sandbox, casesDir);
        summary.cases += 1;
        stats.cases += 1;
        if (code === 0) stats.accepted += 1;
        else stats.rejected += 1;
        if (failure) {
          summary.failures.push(failure);
          if (failure.reason.startsWith('stack trace')) summary.stackTraces += 1;
          if (failure.reason.startsWith('hang')) summary.hangs += 1;
          options.log?.(`FAIL ${kind} seed ${seed}: ${failure.reason} [${failure.description}]`);
        }
      }
      options.log?.(`${kind}: ${stats.cases} cases, ${stats.accepted} accepted, ${stats.rejected} rejected`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}
