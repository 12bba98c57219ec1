#!/usr/bin/env node
// Entry point of `npx prefopt`: runs the TypeScript CLI through tsx (no build step). Both of tsx's
// loaders are registered, so plugins written as ESM or CommonJS TypeScript load alike.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCommonJs();
registerEsm();
await import('../core/cli/main.ts');
