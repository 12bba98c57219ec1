/** Where the prefopt package lives on disk. */
import { fileURLToPath } from 'node:url';

/** Absolute path of the package root (the folder holding package.json and registry.json). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../', import.meta.url));
