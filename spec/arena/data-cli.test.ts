import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { extractAnswer } from '../../arena/task/index.ts';
import { runCli } from '../helpers/cli.ts';

/** The application's CLI (bin/prefopt.js): the arena adds `data` to the library's commands. */
function prefopt(...args: string[]) {
  const r = runCli(args);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const readJsonl = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));

test('prefopt data arith writes train/eval/test preference and SFT JSONL, the same for the same seed', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-arith-'));
  const r = prefopt('data', 'arith', '--out', dir, '--seed', '7', '--train', '20', '--eval', '5', '--test', '4');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote 20 train, 5 eval, 4 test pairs \(seed 7\)/);
  assert.deepEqual((await readdir(dir)).sort(), ['eval.jsonl', 'sft-eval.jsonl', 'sft-test.jsonl', 'sft-train.jsonl', 'test.jsonl', 'train.jsonl']);
  const train = await readJsonl(path.join(dir, 'train.jsonl'));
  assert.equal(train.length, 20);
  assert.deepEqual(Object.keys(train[0]).sort(), ['chosen', 'prompt', 'rejected']);
  const sft = await readJsonl(path.join(dir, 'sft-train.jsonl'));
  assert.deepEqual(sft.map((r) => r.completion), train.map((r) => r.chosen));
  const again = await mkdtemp(path.join(tmpdir(), 'prefopt-arith-'));
  prefopt('data', 'arith', '--out', again, '--seed', '7', '--train', '20', '--eval', '5', '--test', '4');
  assert.equal(await readFile(path.join(again, 'test.jsonl'), 'utf8'), await readFile(path.join(dir, 'test.jsonl'), 'utf8'));
});

test('prefopt data arith rejects a bad number with a one-line error', () => {
  const r = prefopt('data', 'arith', '--out', tmpdir(), '--train', 'many');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, "prefopt: --train expects an integer >= 0 (got 'many')\n");
});

test('prefopt data gsm8k converts GSM8K lines and names the line of a bad record', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-gsm-'));
  const input = path.join(dir, 'in.jsonl');
  const good = { question: 'Sam has 2 bags of 3 apples and eats 1. How many are left?', answer: 'Sam has 2*3 = <<2*3=6>>6 apples.\nHe has 6-1 = <<6-1=5>>5 left.\n#### 5' };
  await writeFile(input, `${JSON.stringify(good)}\n`);
  const out = path.join(dir, 'out.jsonl');
  const r = prefopt('data', 'gsm8k', '--input', input, '--out', out, '--sft', path.join(dir, 'sft.jsonl'));
  assert.equal(r.code, 0, r.stderr);
  const [pair] = await readJsonl(out);
  assert.equal(pair.chosen, good.answer);
  assert.notEqual(extractAnswer(pair.rejected), 5);
  assert.equal((await readJsonl(path.join(dir, 'sft.jsonl')))[0].completion, good.answer);
  await writeFile(input, `${JSON.stringify(good)}\n${JSON.stringify({ question: 'q', answer: 'no answer' })}\n`);
  const bad = prefopt('data', 'gsm8k', '--input', input, '--out', path.join(dir, 'bad.jsonl'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`^prefopt: ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: field 'answer' must be a GSM8K solution`));
  assert.ok(!(await readdir(dir)).includes('bad.jsonl'), 'nothing half-written');
});
