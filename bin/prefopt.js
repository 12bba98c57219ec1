#!/usr/bin/env node
// Entry point of `prefopt`: the library's commands plus the loss arena's (arena/). Runs the
// compiled JavaScript in dist/ (built by `npm run build`, which `npm ci` and `npm install` run as
// the `prepare` script). In a source checkout whose dist/ is missing or older than the sources, or
// with PREFOPT_FROM_SOURCE=1, it runs the TypeScript sources through tsx instead (slower to start,
// same behaviour).
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/core/cli/main.js', root);
const source = new URL('core/cli/main.ts', root);

/** Whether some source file (core/, arena/, plugins/, registry.json) is newer than the compiled CLI. */
function sourcesNewerThan(time) {
  const newer = (dir) =>
    existsSync(dir) &&
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const file = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
      return entry.isDirectory() ? newer(file) : entry.name.endsWith('.ts') && statSync(file).mtimeMs > time;
    });
  return ['core/', 'arena/', 'plugins/'].some((dir) => newer(new URL(dir, root))) || statSync(new URL('registry.json', root)).mtimeMs > time;
}

function useSources() {
  if (!existsSync(source)) return false; // an installed package: compiled code only
  if (process.env.PREFOPT_FROM_SOURCE === '1' || !existsSync(compiled)) return true;
  return sourcesNewerThan(statSync(compiled).mtimeMs);
}

let code = new URL('dist/', root);
if (useSources()) {
  // Both of tsx's loaders, so plugins written as ESM or CommonJS TypeScript load alike.
  const { register: registerCommonJs } = await import('tsx/cjs/api');
  const { register: registerEsm } = await import('tsx/esm/api');
  registerCommonJs();
  registerEsm();
  code = root;
}
const ext = code === root ? 'ts' : 'js';
const { runProcess } = await import(new URL(`core/cli/main.${ext}`, code).href);
const { ARENA_COMMANDS } = await import(new URL(`arena/index.${ext}`, code).href);
runProcess(ARENA_COMMANDS);
