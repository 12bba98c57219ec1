/** docs/losses.md is generated from the registry and kept up to date; `prefopt docs losses` writes it. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import { createLossRegistry } from '../../core/loss/index.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { paramRange, renderLossCatalogue } from '../../core/report/loss-catalogue.ts';

const registry = await createLossRegistry();
const DOC = path.join(PACKAGE_ROOT, 'docs', 'losses.md');

test('docs/losses.md is up to date: regenerating it from the registry gives the same text (run `prefopt docs losses --out docs/losses.md`)', () => {
  assert.equal(readFileSync(DOC, 'utf8'), renderLossCatalogue(registry.list()));
});

test('the catalogue lists at least 18 losses, each with its formula, paper, params and reference-free flag', () => {
  const text = renderLossCatalogue(registry.list());
  assert.ok(registry.list().length >= 18);
  for (const loss of registry.list()) {
    const section = text.split(`\n## ${loss.name}\n`)[1]?.split('\n## ')[0];
    assert.ok(section, `no section for ${loss.name}`);
    assert.ok(section.includes(loss.formula) && section.includes(loss.paper.url), loss.name);
    assert.ok(section.includes(`Reference-free: ${loss.requiresReference ? 'no' : 'yes'}`), loss.name);
    for (const param of Object.keys(loss.paramsSchema.properties)) assert.ok(section.includes(`| \`${param}\` |`), `${loss.name}.${param}`);
  }
});

test('param ranges read from the schema: closed, open and unbounded ends', () => {
  assert.equal(paramRange({ type: 'number', minimum: 0, exclusiveMaximum: 0.5 }), '[0, 0.5)');
  assert.equal(paramRange({ type: 'number', exclusiveMinimum: 0 }), '(0, ∞)');
  assert.equal(paramRange({ type: 'number', minimum: 0, maximum: 0.5 }), '[0, 0.5]');
  assert.equal(paramRange({ type: 'number' }), 'any');
  assert.equal(paramRange({ type: 'boolean' }), 'true | false');
});

test('prefopt docs losses --out FILE writes the catalogue', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'prefopt-docs-'));
  try {
    const out = path.join(dir, 'losses.md');
    await promisify(execFile)(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'prefopt.js'), 'docs', 'losses', '--out', out]);
    assert.equal(readFileSync(out, 'utf8'), renderLossCatalogue(registry.list()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
