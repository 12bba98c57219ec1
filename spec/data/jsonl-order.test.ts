/** Bad lines of a dataset are reported in file order, whatever is wrong with them; skipInvalid skips every kind. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadPreferenceDataset } from '../../core/data/datasets.ts';
import { UserError } from '../../core/errors.ts';
import { charTokenizer } from './char-tokenizer.ts';

const tok = charTokenizer();
const good = JSON.stringify({ prompt: 'Q', chosen: 'a', rejected: 'b' });

async function file(lines: string[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-order-'));
  const name = path.join(dir, 'data.jsonl');
  await writeFile(name, `${lines.join('\n')}\n`);
  return name;
}

test('the first error reported is the first bad line in file order: a bad record before a JSON syntax error, and vice versa', async () => {
  const recordFirst = await file([good, JSON.stringify({ prompt: 'Q', chosen: 'a' }), '{not json', good]);
  await assert.rejects(loadPreferenceDataset(recordFirst, tok, { maxLength: 32 }), (e: unknown) => e instanceof UserError && e.message.startsWith(`${recordFirst}:2:`));
  const syntaxFirst = await file([good, '{not json', JSON.stringify({ prompt: 'Q', chosen: 'a' })]);
  await assert.rejects(loadPreferenceDataset(syntaxFirst, tok, { maxLength: 32 }), (e: unknown) => e instanceof UserError && e.message.startsWith(`${syntaxFirst}:2: invalid JSON`));
});

test('skipInvalid skips lines that are not JSON as well as bad records, and counts both', async () => {
  const name = await file([good, '{not json', JSON.stringify({ prompt: 'Q', chosen: 'a' }), '[1,2', good]);
  const { examples, stats } = await loadPreferenceDataset(name, tok, { maxLength: 32, skipInvalid: true });
  assert.equal(examples.length, 2);
  assert.deepEqual([stats.records, stats.skippedInvalid], [5, 3]);
  assert.match(stats.invalidExamples[0]!, /:2: invalid JSON/);
});

test('a dataset path that is a directory is a one-line error naming it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-order-'));
  await mkdir(path.join(dir, 'train.jsonl'));
  await assert.rejects(loadPreferenceDataset(path.join(dir, 'train.jsonl'), tok, { maxLength: 32 }), (e: unknown) =>
    e instanceof UserError && e.message === `${path.join(dir, 'train.jsonl')}: cannot read: EISDIR (is a directory)`);
});
