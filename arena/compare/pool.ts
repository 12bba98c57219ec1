/**
 * Runs jobs with at most `workers` at once, each preference run in a child process of its own
 * (one wasm engine per core). A failed job stops new ones from starting; the running ones finish,
 * then the first failure is thrown.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Runs `jobs` through `run` with at most `workers` in flight, in order of the list. */
export async function runPool<T>(jobs: readonly T[], workers: number, run: (job: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (failure === undefined && next < jobs.length) {
      const job = jobs[next++]!;
      try {
        await run(job);
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, jobs.length)) }, lane));
  if (failure !== undefined) throw failure;
}

/** The worker beside this module: worker.ts when running from source (through tsx), worker.js compiled. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER = fileURLToPath(new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url));

/** Node's arguments for the worker: from source, tsx's loader by absolute path (found wherever the command runs). */
function workerArgs(specFile: string): string[] {
  return [...(FROM_SOURCE ? ['--import', import.meta.resolve('tsx')] : []), WORKER, specFile];
}

/** Runs the worker on a spec file, its output appended to `logFile`; rejects with the log's tail on failure. */
export async function spawnWorker(specFile: string, logFile: string): Promise<void> {
  const log = createWriteStream(logFile, { flags: 'a' });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, workerArgs(specFile), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', async (code, signal) => {
      log.end();
      if (code === 0) return resolve();
      const text = await readFile(logFile, 'utf8').catch(() => '');
      const tail = text.trimEnd().split('\n').slice(-8).join('\n');
      reject(new WorkerFailed(`${signal ? `killed by ${signal}` : `exit code ${code}`}; log ${logFile}:\n${tail}`, tail));
    });
  });
}

/** A worker process that did not finish; `tail` is the end of its log. */
export class WorkerFailed extends Error {
  constructor(message: string, readonly tail: string) {
    super(message);
  }
}
