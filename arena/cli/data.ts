/**
 * `prefopt data arith --out DIR [--seed S --train N --eval N --test N --style plain|gsm8k]`:
 *   writes the synthetic task's splits: DIR/{train,eval,test}.jsonl (preference pairs) and
 *   DIR/sft-{train,eval,test}.jsonl (prompt/completion with the correct solution).
 * `prefopt data gsm8k --input FILE --out FILE [--seed S --strip-annotations --sft FILE]`:
 *   builds preference pairs from GSM8K-format data (`question`, `answer` with `#### N`).
 * Nothing heavy is imported until a command runs.
 */
import path from 'node:path';
import type { Command } from 'commander';

/** A non-negative integer option's value (seeds: at most 2^32 - 1), or a UserError naming the option (prefopt's one number parser). */
async function intOption(name: string, value: string): Promise<number> {
  const { parseNumber } = await import('../../core/index.ts');
  return parseNumber(`--${name}`, value, 'integer', { min: 0, ...(name === 'seed' ? { max: 2 ** 32 - 1 } : {}) });
}

interface ArithCliOptions { out: string; seed: string; train: string; eval: string; test: string; style: string }
interface Gsm8kCliOptions { input: string; out: string; seed: string; stripAnnotations?: boolean; sft?: string }

async function runArith(raw: ArithCliOptions): Promise<void> {
  const { UserError, writeFileAtomic } = await import('../../core/index.ts');
  const { generateArithSplits, preferenceRecord, sftRecord, toJsonl } = await import('../task/index.ts');
  const options = { out: raw.out, seed: await intOption('seed', raw.seed), train: await intOption('train', raw.train), eval: await intOption('eval', raw.eval), test: await intOption('test', raw.test) };
  if (raw.style !== 'plain' && raw.style !== 'gsm8k') {
    throw new UserError(`--style expects 'plain' or 'gsm8k' (got '${raw.style}')`);
  }
  const splits = generateArithSplits({ ...options, style: raw.style });
  for (const split of ['train', 'eval', 'test'] as const) {
    await writeFileAtomic(path.join(options.out, `${split}.jsonl`), toJsonl(splits[split].map(preferenceRecord)));
    await writeFileAtomic(path.join(options.out, `sft-${split}.jsonl`), toJsonl(splits[split].map(sftRecord)));
  }
  process.stderr.write(
    `wrote ${splits.train.length} train, ${splits.eval.length} eval, ${splits.test.length} test pairs (seed ${options.seed}) to ${options.out}\n`,
  );
}

async function runGsm8k(options: Gsm8kCliOptions): Promise<void> {
  const { readJsonl, sourceName, writeFileAtomic } = await import('../../core/index.ts');
  const { convertGsm8k, parseGsm8kRecord, toJsonl } = await import('../task/index.ts');
  const seed = await intOption('seed', options.seed);
  const name = sourceName(options.input);
  const records = (await readJsonl(options.input)).map(({ line, value }) => ({ line, ...parseGsm8kRecord(value, name, line) }));
  const { pairs, skippedLines } = convertGsm8k(records, { seed, stripAnnotations: options.stripAnnotations });
  await writeFileAtomic(options.out, toJsonl(pairs));
  if (options.sft) await writeFileAtomic(options.sft, toJsonl(pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen }))));
  const skipped = skippedLines.length
    ? ` (${skippedLines.length} skipped: no annotation whose change alters the answer, e.g. line ${skippedLines[0]})`
    : '';
  process.stderr.write(`wrote ${pairs.length} pairs of ${records.length} records to ${options.out}${skipped}\n`);
}

export function addDataCommand(program: Command): void {
  const data = program.command('data').description('build datasets: the synthetic arithmetic task, GSM8K preference pairs');
  data
    .command('arith')
    .description('write the GSM8K-style synthetic task: train/eval/test preference JSONL + SFT JSONL')
    .requiredOption('--out <dir>', 'output directory')
    .option('--seed <n>', 'random seed', '0')
    .option('--train <n>', 'train pairs', '2000')
    .option('--eval <n>', 'eval pairs', '200')
    .option('--test <n>', 'test pairs', '200')
    .option('--style <style>', "solution style: 'plain' (3*4=12) or 'gsm8k' (3*4 = <<3*4=12>>12)", 'plain')
    .action(runArith);
  data
    .command('gsm8k')
    .description('build preference pairs from GSM8K-format JSONL (question, answer with <<a*b=c>> and #### N)')
    .requiredOption('--input <file>', 'GSM8K-format JSONL')
    .requiredOption('--out <file>', 'output preference JSONL')
    .option('--seed <n>', 'random seed', '0')
    .option('--strip-annotations', 'remove the <<...>> calculator annotations from the answers')
    .option('--sft <file>', 'also write prompt/completion JSONL with the reference answers')
    .action(runGsm8k);
}
