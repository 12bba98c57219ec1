/**
 * Worker threads that run one of prefopt's own modules, from TypeScript sources (under tsx) or from
 * compiled JavaScript alike: the module is found beside the caller with the caller's extension.
 * Node 20 does not apply tsx's loader to a worker started from a `.ts` file, so such a worker
 * first registers tsx (its `esm/api`) and then imports the module.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The URL of module `name` in the caller's folder, with the caller's extension (`.ts` or `.js`). */
export function siblingModule(callerUrl: string, name: string): URL {
  return new URL(`./${name}${path.extname(fileURLToPath(callerUrl))}`, callerUrl);
}

/** Starts a worker thread running the module at `moduleUrl` (a `.ts` module is loaded through tsx). */
export function startModuleWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(code, { ...options, eval: true });
}

/** The number of threads to compute on by default: the cores this process may use. */
export function defaultThreadCount(): number {
  return os.availableParallelism();
}
