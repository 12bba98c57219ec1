/**
 * docs/api.md documents exactly what a plugin may import: every export of `prefopt` and
 * `prefopt/testing` (runtime values and type-only exports alike, as the TypeScript compiler lists
 * them from the entry points package.json's "exports" name), each with its kind, and nothing that
 * is no longer exported. `f64`'s members are checked the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/cli.ts';

type Kind = 'function' | 'class' | 'const' | 'type' | 'namespace';

/** The entry points of package.json's "exports", as TypeScript sources (dist/x.js <- x.ts). */
function entryPoints(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, { types?: string } | string> };
  const entries: Record<string, string> = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const module = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`;
    entries[module] = path.join(REPO_ROOT, target.types!.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'));
  }
  return entries;
}

function kindOf(checker: ts.TypeChecker, exported: ts.Symbol): Kind {
  const declaration = exported.declarations?.[0];
  const typeOnly = declaration !== undefined && ts.isExportSpecifier(declaration) && (declaration.isTypeOnly || declaration.parent.parent.isTypeOnly);
  if (typeOnly) return 'type';
  const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  if (target.flags & ts.SymbolFlags.Class) return 'class';
  if (target.flags & ts.SymbolFlags.Function) return 'function';
  if (target.flags & ts.SymbolFlags.Variable) return 'const';
  if (target.flags & ts.SymbolFlags.ValueModule) return 'namespace';
  return 'type';
}

/** name -> kind of every export of each entry point (and `ns.member` for namespaces of our own). */
function actualExports(): Record<string, Map<string, Kind>> {
  const entries = entryPoints();
  const program = ts.createProgram(Object.values(entries), {
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  });
  const checker = program.getTypeChecker();
  const result: Record<string, Map<string, Kind>> = {};
  for (const [module, file] of Object.entries(entries)) {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    const names = new Map<string, Kind>();
    for (const exported of checker.getExportsOfModule(symbol)) {
      const kind = kindOf(checker, exported);
      names.set(exported.name, kind);
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const ownFile = target.declarations?.[0]?.getSourceFile().fileName ?? '';
      if (kind === 'namespace' && ownFile.startsWith(path.join(REPO_ROOT, 'core'))) {
        for (const member of checker.getExportsOfModule(target)) names.set(`${exported.name}.${member.name}`, kindOf(checker, member));
      }
    }
    result[module] = names;
  }
  return result;
}

/** name -> kind of every entry of docs/api.md, per `## \`module\`` section. */
function documentedExports(): Record<string, Map<string, Kind>> {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs', 'api.md'), 'utf8');
  const result: Record<string, Map<string, Kind>> = {};
  let section: Map<string, Kind> | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^## `([^`]+)`/.exec(line);
    if (heading) {
      section = new Map();
      result[heading[1]!] = section;
      continue;
    }
    const entry = /^\s*- `(?:(class|interface|type|const|namespace) )?([A-Za-z_$][\w$]*(?:\.[\w$]+)?)(.)/.exec(line);
    if (!entry || !section) continue;
    const [, keyword, name, next] = entry;
    const kind: Kind = keyword === undefined ? 'function' : keyword === 'interface' ? 'type' : (keyword as Kind);
    assert.ok(keyword !== undefined || next === '(' || next === '<', `docs/api.md: '${line.trim()}' needs a signature name(...) or a kind (class, interface, type, const, namespace)`);
    assert.ok(!section.has(name!), `docs/api.md documents ${name} twice`);
    section.set(name!, kind);
  }
  return result;
}

const actual = actualExports();
const documented = documentedExports();

test('docs/api.md has one section per entry point of package.json, and nothing else', () => {
  assert.deepEqual(Object.keys(documented).sort(), Object.keys(actual).sort());
});

for (const module of Object.keys(actual)) {
  test(`every export of '${module}' is documented in docs/api.md, with its kind`, () => {
    const missing = [...actual[module]!].filter(([name]) => !documented[module]?.has(name)).map(([name, kind]) => `${kind} ${name}`);
    assert.deepEqual(missing, [], `undocumented exports of ${module}`);
    const wrongKind = [...actual[module]!].filter(([name, kind]) => documented[module]!.get(name) !== kind).map(([name, kind]) => `${name}: exported as ${kind}, documented as ${documented[module]!.get(name)}`);
    assert.deepEqual(wrongKind, []);
  });

  test(`every name docs/api.md documents under '${module}' is exported by it`, () => {
    const stale = [...(documented[module] ?? new Map()).keys()].filter((name) => !actual[module]!.has(name));
    assert.deepEqual(stale, [], `documented but not exported by ${module}`);
  });
}
