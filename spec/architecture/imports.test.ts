/**
 * The layering of docs/architecture.md, kept honest: every relative import in core/, plugins/ and
 * arena/ is read from the sources, each core folder may import only the folders the table allows,
 * plugins stand alone, and the run-time module graph has no cycle. (The arena's boundary:
 * spec/arena/boundary.test.ts.)
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { specifiers, tsFiles } from '../helpers/imports.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Which core folders each core folder (or top-level file) may import. `*` = any core folder. */
const CORE_LAYERS: Record<string, readonly string[]> = {
  errors: [],
  paths: [],
  io: ['errors'],
  runtime: ['errors'],
  loss: ['errors', 'paths', 'runtime'],
  data: ['errors', 'io'],
  model: ['data', 'runtime', 'errors', 'io'],
  config: ['loss', 'data', 'model', 'runtime', 'errors', 'io', 'paths'],
  testing: ['loss', 'runtime', 'errors'],
  report: ['loss', 'errors', 'io'],
  train: ['config', 'data', 'errors', 'io', 'loss', 'model', 'runtime', 'report'],
  cli: ['*'],
  index: ['*'],
};

/** The public API that plugins and applications (arena/) may import. */
const PUBLIC_ENTRIES = ['core/index.ts', 'core/testing/index.ts'];

interface Edge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at compile time, so no part of a run-time cycle. */
  typeOnly: boolean;
}

/** Every relative import of core/, plugins/ and arena/, as repository-relative paths. */
function edges(): Edge[] {
  const files = ['core', 'plugins', 'arena'].flatMap((dir) => tsFiles(path.join(ROOT, dir)));
  return files.flatMap((file) =>
    specifiers(file)
      .filter(({ spec }) => spec.startsWith('.'))
      .map(({ spec, typeOnly }) => ({ from: path.relative(ROOT, file), to: path.relative(ROOT, path.resolve(path.dirname(file), spec)), typeOnly })),
  );
}

/** `core/train/x.ts` -> `train`; `core/index.ts` -> `index`; `core/errors.ts` -> `errors`. */
function coreLayer(file: string): string | undefined {
  const parts = file.split('/');
  if (parts[0] !== 'core') return undefined;
  return parts.length === 2 ? parts[1]!.replace(/\.ts$/, '') : parts[1]!;
}

describe('import layering', () => {
  const all = edges();

  test('the scan finds the imports (it would pass vacuously otherwise)', () => {
    assert.ok(all.length > 200, `only ${all.length} imports found`);
    assert.ok(all.some((e) => e.from.startsWith('core/train/') && e.to.startsWith('core/model/')));
  });

  test('every core folder imports only the folders below it in docs/architecture.md', () => {
    const bad: string[] = [];
    for (const { from, to } of all) {
      const source = coreLayer(from);
      if (source === undefined) continue;
      if (!to.startsWith('core/')) {
        bad.push(`${from} -> ${to} (core imports nothing outside core/)`);
        continue;
      }
      const target = coreLayer(to)!;
      const allowed = CORE_LAYERS[source];
      assert.ok(allowed, `core/${source} is not in the layer table of this test: add it (and to docs/architecture.md)`);
      if (target !== source && !allowed.includes('*') && !allowed.includes(target)) bad.push(`${from} -> ${to} (${source} may import ${allowed.join(', ') || 'nothing'})`);
    }
    assert.deepEqual(bad, []);
  });

  test('plugins import only core/loss or the public API, never another plugin', () => {
    const bad = all.filter(({ from, to }) => {
      if (!from.startsWith('plugins/')) return false;
      const ownFolder = from.split('/').slice(0, 2).join('/');
      return !(to.startsWith(`${ownFolder}/`) || to.startsWith('core/loss/') || PUBLIC_ENTRIES.includes(to));
    });
    assert.deepEqual(bad.map((e) => `${e.from} -> ${e.to}`), []);
  });

  test('the run-time module graph has no import cycle', () => {
    const next = new Map<string, string[]>();
    for (const { from, to } of all.filter((e) => !e.typeOnly)) next.set(from, [...(next.get(from) ?? []), to]);
    // Iterative depth-first search; a back edge closes a cycle.
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    for (const start of next.keys()) {
      if (state.has(start)) continue;
      const stack: Array<{ node: string; i: number; trail: string[] }> = [{ node: start, i: 0, trail: [start] }];
      state.set(start, 'open');
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const targets = next.get(top.node) ?? [];
        if (top.i >= targets.length) {
          state.set(top.node, 'done');
          stack.pop();
          continue;
        }
        const target = targets[top.i++]!;
        if (state.get(target) === 'open') cycles.push([...top.trail.slice(top.trail.indexOf(target)), target].join(' -> '));
        else if (!state.has(target)) {
          state.set(target, 'open');
          stack.push({ node: target, i: 0, trail: [...top.trail, target] });
        }
      }
    }
    assert.deepEqual(cycles, []);
  });
});
