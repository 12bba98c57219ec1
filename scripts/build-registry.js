// Second step of `npm run build` (after tsc): writes dist/registry.json, registry.json with the
// compiled plugins' module paths and each loss's listing, so the compiled CLI can list the
// built-in losses without importing them.
import { writeFileSync } from 'node:fs';
import { buildManifest, MANIFEST_PATH } from '../dist/core/loss/plugins.js';

writeFileSync(MANIFEST_PATH, `${JSON.stringify(await buildManifest(), null, 2)}\n`);
