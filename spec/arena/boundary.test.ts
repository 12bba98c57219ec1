/**
 * Where the arena ends: it is an application of prefopt, so its modules import the library only
 * through the public API (core/index.ts); the library never imports the arena; and the command
 * modules the CLI loads at start-up import nothing heavy at top level (only types, node built-ins
 * and other command modules), loading the rest inside their actions.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.ts';
import { specifiers, tsFiles } from '../helpers/imports.ts';

const ARENA = path.join(REPO_ROOT, 'arena');
const CORE = path.join(REPO_ROOT, 'core');
const PUBLIC_API = path.join(CORE, 'index.ts');

test('the scanner finds imports (so the checks below can fail)', () => {
  const found = specifiers(path.join(ARENA, 'compare', 'run.ts'));
  assert.ok(found.some((s) => s.spec === '../../core/index.ts'));
});

test('arena/ imports prefopt only through its public API, core/index.ts', () => {
  const offenders: string[] = [];
  for (const file of tsFiles(ARENA)) {
    for (const { spec } of specifiers(file)) {
      if (!spec.startsWith('.')) continue;
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(ARENA + path.sep) && target !== PUBLIC_API) offenders.push(`${path.relative(REPO_ROOT, file)} -> ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('core/ never imports arena/', () => {
  const offenders: string[] = [];
  for (const file of tsFiles(CORE)) {
    for (const { spec } of specifiers(file)) {
      if (spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(ARENA + path.sep)) offenders.push(`${path.relative(REPO_ROOT, file)} -> ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the arena\'s command modules import only types, node built-ins and each other at top level', () => {
  const modules = [path.join(ARENA, 'index.ts'), ...tsFiles(path.join(ARENA, 'cli'))];
  const offenders: string[] = [];
  for (const file of modules) {
    for (const { spec, typeOnly, dynamic } of specifiers(file)) {
      const light = typeOnly || dynamic || spec.startsWith('node:') || (spec.startsWith('./') && file === path.join(ARENA, 'index.ts')) || (spec.startsWith('./') && file.startsWith(path.join(ARENA, 'cli')));
      if (!light) offenders.push(`${path.relative(REPO_ROOT, file)} -> ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
});
