/**
 * `npm run bench [-- NAME ...]`: runs every bench/*.ts suite (or the named ones). Each suite
 * exports `run(): Promise<void>`, prints a table and writes its numbers to bench/results/NAME.json.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const suites = readdirSync(dir)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts' && !file.startsWith('_'))
  .map((file) => file.replace(/\.ts$/, ''))
  .filter((name) => wanted.length === 0 || wanted.includes(name));

if (suites.length === 0) {
  console.error(`prefopt bench: no suite named ${wanted.join(', ')}; suites: ${readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').join(', ')}`);
  process.exit(1);
}
for (const name of suites) {
  console.log(`\n== bench/${name}.ts ==`);
  const suite = (await import(pathToFileURL(path.join(dir, `${name}.ts`)).href)) as { run?: () => Promise<void> };
  if (typeof suite.run !== 'function') throw new Error(`bench/${name}.ts does not export run()`);
  await suite.run();
}
