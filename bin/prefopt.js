#!/usr/bin/env node
// Entry point of `npx prefopt`: runs the TypeScript CLI through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
await import('../core/cli/main.ts');
