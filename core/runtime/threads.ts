/**
 * Worker threads that run one of prefopt's own modules, from TypeScript sources (under tsx) or from
 * compiled JavaScript alike: the module is found beside the caller with the caller's extension.
 * Node 20 applies neither a loader registered with tsx's API (bin/prefopt.js) nor `--import tsx`
 * to a worker's own modules, so a worker running a `.ts` module first registers tsx (ESM and
 * CommonJS, as bin/prefopt.js does: TypeScript plugins load in workers too) and then imports it.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The URL of module `name` in the caller's folder, with the caller's extension (`.ts` or `.js`). */
export function siblingModule(callerUrl: string, name: string): URL {
  return new URL(`./${name}${path.extname(fileURLToPath(callerUrl))}`, callerUrl);
}

/** tsx's two registration entry points, or undefined where tsx is not installed. */
function tsxApis(): { esm: string; cjs: string } | undefined {
  try {
    return { esm: import.meta.resolve('tsx/esm/api'), cjs: import.meta.resolve('tsx/cjs/api') };
  } catch {
    return undefined;
  }
}

/** Starts a worker thread running the module at `moduleUrl` (a `.ts` module through tsx). */
export function startModuleWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  const apis = moduleUrl.pathname.endsWith('.ts') ? tsxApis() : undefined;
  if (!apis) return new Worker(moduleUrl, options);
  const code = [
    `Promise.all([import(${JSON.stringify(apis.cjs)}), import(${JSON.stringify(apis.esm)})])`,
    `.then(([cjs, esm]) => { cjs.register(); esm.register(); return import(${JSON.stringify(moduleUrl.href)}); })`,
  ].join('');
  return new Worker(code, { ...options, eval: true });
}

/** The number of threads to compute on by default: the cores this process may use. */
export function defaultThreadCount(): number {
  return os.availableParallelism();
}
