/**
 * One prefopt and one TensorFlow.js for every plugin. A plugin imports `prefopt` (and perhaps
 * `@tensorflow/tfjs`); installed from a folder (a symlink), those imports would resolve from the
 * plugin's own folder, load a second copy and register every tfjs kernel twice (hundreds of
 * "already registered" warnings). Before the first third-party plugin is imported, a resolve hook
 * (node:module `register`) makes `prefopt`, `prefopt/testing` and `@tensorflow/tfjs*` resolve to
 * the copy that is running, whichever way the plugin was installed.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { PACKAGE_ROOT, RUNNING_COMPILED } from '../paths.ts';

/** The hook, run by Node in its loader thread (plain JavaScript, so it is given as a data: URL). */
const RESOLVE_HOOK = `
let own;
export function initialize(data) { own = data; }
export async function resolve(specifier, context, next) {
  // Through the rest of the chain (not short-circuited): tsx's hooks must see a .ts entry to load it.
  if (Object.hasOwn(own.entries, specifier)) return next(own.entries[specifier], context);
  if (/^@tensorflow\\/tfjs(-[a-z-]+)?$/.test(specifier)) return next(specifier, { ...context, parentURL: own.parentURL });
  return next(specifier, context);
}
`;

let registered = false;

/** The module files `prefopt` and `prefopt/testing` name in the running copy (sources or dist/). */
function ownEntries(): Record<string, string> {
  const file = (source: string) => pathToFileURL(path.join(PACKAGE_ROOT, RUNNING_COMPILED ? `dist/${source}.js` : `${source}.ts`)).href;
  return { prefopt: file('core/index'), 'prefopt/testing': file('core/testing/index') };
}

/** Registers the resolve hook once per process. */
export function shareHostModules(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(RESOLVE_HOOK)}`, {
    data: { entries: ownEntries(), parentURL: pathToFileURL(path.join(PACKAGE_ROOT, 'package.json')).href },
  });
}
