/**
 * The layering of docs/architecture.md, kept honest: every relative import in core/, plugins/ and
 * arena/ is read from the sources, each folder may import only the folders the table allows, and
 * the module graph has no cycle.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

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

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : sourceFiles(full);
    return /\.(ts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  /** `import type` / `export type`: erased at compile time, so no part of a run-time cycle. */
  typeOnly: boolean;
}

/** Relative specifiers of static imports, re-exports and dynamic imports of a source file. */
function relativeImports(file: string): Array<{ spec: string; typeOnly: boolean }> {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const statements = [...text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?['"](\.{1,2}\/[^'"]+)['"]/gm)];
  const dynamic = [...text.matchAll(/\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]/g)];
  return [...statements.map((m) => ({ spec: m[2]!, typeOnly: m[1] !== undefined })), ...dynamic.map((m) => ({ spec: m[1]!, typeOnly: false }))];
}

function edges(): Edge[] {
  const files = ['core', 'plugins', 'arena'].flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
  return files.flatMap((file) =>
    relativeImports(file).map(({ spec, typeOnly }) => ({
      from: path.relative(ROOT, file),
      to: path.relative(ROOT, path.resolve(path.dirname(file), spec)),
      typeOnly,
    })),
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

  test('applications (arena/) import only the public API; the library never imports them', () => {
    const bad = all.filter(
      ({ from, to }) =>
        (from.startsWith('arena/') && !to.startsWith('arena/') && !PUBLIC_ENTRIES.includes(to)) ||
        (!from.startsWith('arena/') && to.startsWith('arena/')),
    );
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
