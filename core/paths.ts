/** Where the prefopt package lives on disk, and whether it runs compiled or from its sources. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when this code runs compiled (dist/core/paths.js), false when run from core/paths.ts by tsx. */
export const RUNNING_COMPILED = !import.meta.url.endsWith('.ts');

/** Absolute path of the package root (the folder holding package.json and registry.json). */
export const PACKAGE_ROOT = fileURLToPath(new URL(RUNNING_COMPILED ? '../../' : '../', import.meta.url));

/** Where the compiled JavaScript lies (`npm run build`): dist/ mirrors core/ and plugins/. */
export const DIST_DIR = path.join(PACKAGE_ROOT, 'dist');

/**
 * The file to import for a module of this package named by its source path relative to the
 * package root (`./plugins/dpo/index.ts`, as registry.json names it): the source itself, or its
 * compiled twin under dist/ when running compiled.
 */
export function packageModule(sourcePath: string): string {
  return RUNNING_COMPILED ? path.join(DIST_DIR, sourcePath.replace(/\.([mc]?)ts$/, '.$1js')) : path.join(PACKAGE_ROOT, sourcePath);
}
