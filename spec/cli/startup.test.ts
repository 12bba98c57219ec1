/**
 * Start-up: a command loads only what it needs. Defining every command (the library's and the
 * arena's) imports no TensorFlow.js, no plugin, no YAML parser and no Vega; `prefopt losses`
 * compiled reads the built registry instead (spec/package/install.test.ts checks that one).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/cli.ts';

test('building the program with every command definition loads no tfjs, plugin, yaml or vega module', () => {
  const script = `
    import { register } from 'node:module';
    const loaded = [];
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (url) => loaded.push(url));
    port1.unref();
    register('data:text/javascript,' + encodeURIComponent('let port; export function initialize(d) { port = d.port; } export async function resolve(s, c, n) { const r = await n(s, c); port.postMessage(r.url); return r; }'), { data: { port: port2 }, transferList: [port2] });
    const { buildProgram } = await import('./core/cli/program.ts');
    const { ARENA_COMMANDS } = await import('./arena/index.ts');
    buildProgram(ARENA_COMMANDS);
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.stdout.write(JSON.stringify(loaded));`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const loaded = JSON.parse(result.stdout) as string[];
  assert.ok(loaded.some((url) => url.endsWith('/core/cli/commands/loss.ts')), 'the scan sees the command modules');
  const heavy = loaded.filter((url) => /node_modules\/(@tensorflow|yaml|vega|ajv)|\/plugins\/|\/core\/(model|train|loss|runtime|config)\//.test(url));
  assert.deepEqual(heavy, []);
});
