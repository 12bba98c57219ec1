/**
 * `npm run bench -- startup`: wall time of a CLI call that computes almost nothing, the cost a user
 * pays on every call (issue 13's goal: `prefopt losses` and `prefopt loss` on one line within
 * 0.8 s, median of 5). Each command runs as a fresh `node bin/prefopt.js` process, from the
 * compiled dist/ (what `npm ci` builds) and from the TypeScript sources through tsx
 * (PREFOPT_FROM_SOURCE=1, what a checkout with a stale dist/ runs), alternating run by run.
 *
 *   PREFOPT_BENCH_RUNS=5 npm run bench -- startup
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './_dpo-workload.ts';
import { writeResults } from './_results.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'prefopt.js');
const ONE_PAIR = '{"policy_chosen_logps":-10,"policy_rejected_logps":-12,"ref_chosen_logps":-11,"ref_rejected_logps":-11}\n';

const COMMANDS: Array<{ name: string; args: string[]; input?: string }> = [
  { name: 'prefopt losses', args: ['losses'] },
  { name: 'prefopt loss --loss dpo (1 line on stdin)', args: ['loss', '--loss', 'dpo'], input: ONE_PAIR },
];

/** Seconds of one `node bin/prefopt.js ARGS` process; throws when it fails. */
function timeCall(args: string[], input: string | undefined, fromSource: boolean): number {
  const env = { ...process.env, PREFOPT_FROM_SOURCE: fromSource ? '1' : '0' };
  const start = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], { input, env, encoding: 'utf8' });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`prefopt ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return seconds;
}

export async function run(): Promise<void> {
  const runs = Math.max(1, Number(process.env.PREFOPT_BENCH_RUNS) || 5);
  const compiled = existsSync(path.join(root, 'dist', 'core', 'cli', 'main.js'));
  if (!compiled) console.log('dist/ is missing (run `npm run build`): only the sources are timed');
  const modes = compiled ? [false, true] : [true];
  const rows: Array<Record<string, string | number>> = [];
  for (const command of COMMANDS) {
    const seconds = new Map(modes.map((fromSource) => [fromSource, [] as number[]]));
    timeCall(command.args, command.input, modes[0]!); // warms the file cache
    for (let i = 0; i < runs; i++) for (const fromSource of modes) seconds.get(fromSource)!.push(timeCall(command.args, command.input, fromSource));
    for (const fromSource of modes) {
      const s = seconds.get(fromSource)!;
      rows.push({ command: command.name, code: fromSource ? 'sources (tsx)' : 'compiled dist/', runs, median_s: Number(median(s).toFixed(3)), min_s: Number(Math.min(...s).toFixed(3)), max_s: Number(Math.max(...s).toFixed(3)) });
    }
  }
  console.table(rows);
  console.log(`load average ${os.loadavg()[0]!.toFixed(1)}`);
  const file = await writeResults('startup', [...rows, { load_average: os.loadavg()[0] }]);
  console.log(`results: ${path.relative(process.cwd(), file)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
