/** Writing a suite's results to bench/results/NAME.json with the machine it ran on. */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../core/io/atomic.ts';

export async function writeResults(name: string, rows: object[]): Promise<string> {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', `${name}.json`);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: process.platform };
  await writeFileAtomic(file, `${JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2)}\n`);
  return file;
}
