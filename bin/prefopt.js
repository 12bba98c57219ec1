#!/usr/bin/env node
// Entry point of `npx prefopt`: runs the TypeScript CLI through tsx (no build step). Both of tsx's
// loaders are registered, so plugins written as ESM or CommonJS TypeScript load alike.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCommonJs();
registerEsm();
// The application: the library's commands plus the loss arena's (arena/).
const { main } = await import('../core/cli/main.ts');
const { ARENA_COMMANDS } = await import('../arena/index.ts');
process.exitCode = await main(process.argv.slice(2), ARENA_COMMANDS);
