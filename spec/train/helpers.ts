/** Tiny runs for trainer tests: a small generated preference task and a config around it. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveConfig } from '../../core/config/load.ts';
import type { LoadedConfig } from '../../core/config/load.ts';

/**
 * A preference task a tiny model learns in a few dozen steps: after a short prompt, the chosen
 * answer repeats the prompt's letter, the rejected answer is another letter.
 */
export function letterPairs(count: number): Array<{ prompt: string; chosen: string; rejected: string }> {
  const letters = 'abcdefgh';
  return Array.from({ length: count }, (_, i) => {
    const a = letters[i % letters.length]!;
    const b = letters[(i * 3 + 1) % letters.length] === a ? 'z' : letters[(i * 3 + 1) % letters.length]!;
    return { prompt: `${a}${i % 3}:`, chosen: `${a}${a}`, rejected: `${b}${b}` };
  });
}

export async function tempDir(prefix = 'prefopt-train-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function writeJsonl(file: string, records: readonly unknown[]): Promise<string> {
  await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

/** A resolved config for a tiny model on the letter task in `dir`, with `overrides` merged in. */
export async function tinyRun(dir: string, overrides: Record<string, any> = {}): Promise<LoadedConfig> {
  const train = await writeJsonl(path.join(dir, 'train.jsonl'), letterPairs(16));
  const evalFile = await writeJsonl(path.join(dir, 'eval.jsonl'), letterPairs(8));
  const raw = {
    stage: 'preference',
    model: { init: { hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 16 } },
    data: { train, eval: evalFile, maxLength: 16 },
    loss: { name: 'dpo', beta: 0.5 },
    train: { seed: 3, maxSteps: 30, batchSize: 8, learningRate: 1e-2, schedule: 'constant', logEvery: 5, saveEvery: 0, maxGradNorm: 1 },
    backend: 'wasm',
    output: path.join(dir, 'run'),
  } as Record<string, any>;
  // Sections merge key by key (loss is replaced whole: it selects a loss and its params).
  for (const [key, value] of Object.entries(overrides)) {
    const mergeable = key !== 'loss' && value && typeof value === 'object' && !Array.isArray(value) && typeof raw[key] === 'object';
    raw[key] = mergeable ? { ...raw[key], ...value } : value;
  }
  return resolveConfig(raw, { source: 'test-config', baseDir: dir });
}

/** A sink for progress output, so test logs stay readable. */
export const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
