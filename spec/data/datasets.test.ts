import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_CHAT_TEMPLATE } from '../../core/data/chat.ts';
import { formatLoadStats, loadPreferenceDataset, loadSftDataset, readPreferenceRecords } from '../../core/data/datasets.ts';
import { UserError } from '../../core/errors.ts';
import { charTokenizer } from './char-tokenizer.ts';

const tok = charTokenizer();

async function jsonl(lines: unknown[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-data-'));
  const file = path.join(dir, 'data.jsonl');
  await writeFile(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return file;
}

const decodeCompletion = (ids: number[], promptLength: number) => tok.decode(ids.slice(promptLength));

test('standard preference records load as tokenized chosen/rejected pairs with their source line', async () => {
  const file = await jsonl([{ prompt: 'Q: 1+1\nA: ', chosen: '2', rejected: '3', id: 'extra fields are ignored' }, '', { prompt: 'Q', chosen: 'yes', rejected: 'no' }]);
  const { examples, stats } = await loadPreferenceDataset(file, tok, { maxLength: 64 });
  assert.equal(examples.length, 2);
  assert.equal(decodeCompletion(examples[0]!.chosen.ids, examples[0]!.chosen.promptLength), '2');
  assert.equal(examples[0]!.rejected.ids.at(-1), tok.eosTokenId);
  assert.equal(examples[1]!.source.line, 3);
  assert.deepEqual({ records: stats.records, kept: stats.kept, skipped: stats.skippedInvalid }, { records: 2, kept: 2, skipped: 0 });
});

test('a bad record is a UserError naming file, line and field', async () => {
  const file = await jsonl([{ prompt: 'Q', chosen: 'a', rejected: 'b' }, { prompt: 'Q', chosen: 5, rejected: 'b' }]);
  await assert.rejects(loadPreferenceDataset(file, tok, { maxLength: 64 }), (error: Error) => {
    assert.ok(error instanceof UserError);
    assert.equal(error.message, `${file}:2: field 'chosen' must be a string, like 'prompt' (got a number)`);
    return true;
  });
  const missing = await jsonl([{ prompt: 'Q', chosen: 'a' }]);
  await assert.rejects(loadPreferenceDataset(missing, tok, { maxLength: 64 }), /:1: field 'rejected' must be a string, like 'prompt' \(got nothing \(field missing\)\)/);
  const notObject = await jsonl(['[1,2]']);
  await assert.rejects(loadPreferenceDataset(notObject, tok, { maxLength: 64 }), /:1: expected a JSON object \(got a list\)/);
  const badJson = await jsonl(['{"prompt": ']);
  await assert.rejects(loadPreferenceDataset(badJson, tok, { maxLength: 64 }), /:1: invalid JSON/);
});

test('skipInvalid skips and counts bad records; prompts that fill maxLength are dropped and counted', async () => {
  const file = await jsonl([
    { prompt: 'Q', chosen: 'a', rejected: 'b' },
    { prompt: 'Q', chosen: '', rejected: 'b' },
    { prompt: ['not', 'messages'], chosen: 'a', rejected: 'b' },
    { prompt: 'a very long prompt indeed', chosen: 'a', rejected: 'b' },
    { prompt: 'Q', chosen: 'a long answer that gets cut', rejected: 'b' },
  ]);
  const { examples, stats } = await loadPreferenceDataset(file, tok, { maxLength: 10, skipInvalid: true });
  assert.equal(examples.length, 2);
  assert.equal(stats.skippedInvalid, 2);
  assert.equal(stats.droppedPromptTooLong, 1);
  assert.equal(stats.truncated, 1);
  assert.match(stats.invalidExamples[0]!, /:2: field 'chosen' must be a non-empty string/);
  assert.match(stats.invalidExamples[1]!, /:3: field 'prompt\[0\]' must be a message/);
  assert.match(formatLoadStats(stats), /2 of 5 records kept, 2 invalid skipped, 1 dropped \(prompt fills maxLength\), 1 truncated/);
});

test('conversational records render through the chat template; the answer is what follows the generation prompt', async () => {
  const file = await jsonl([
    {
      prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi?' }],
      chosen: [{ role: 'assistant', content: 'Hello.' }],
      rejected: [{ role: 'assistant', content: 'Go away.' }],
    },
  ]);
  const { examples } = await loadPreferenceDataset(file, tok, { maxLength: 256 });
  const { chosen, rejected } = examples[0]!;
  assert.equal(tok.decode(chosen.ids.slice(0, chosen.promptLength)), '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(decodeCompletion(chosen.ids, chosen.promptLength), 'Hello.<|im_end|>\n');
  assert.equal(decodeCompletion(rejected.ids, rejected.promptLength), 'Go away.<|im_end|>\n');
  // No BOS is added and no EOS after the template's end-of-turn (the template writes them, TRL adds none).
  assert.equal(chosen.ids[0], tok.encode('<')[0]);
  assert.equal(tok.decode(chosen.ids.slice(-2)), '>\n');
  // The tokenizer's own template wins over the default, and chat_template_kwargs are passed through.
  const custom = '{{ greeting }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}';
  const own = await loadPreferenceDataset(file, charTokenizer({ chatTemplate: custom }), { maxLength: 256, chatTemplateKwargs: { greeting: '#' } });
  const s = own.examples[0]!.chosen;
  assert.equal(tok.decode(s.ids.slice(0, s.promptLength)), '#[system] Be brief.\n[user] Hi?\n[assistant] ');
  assert.equal(decodeCompletion(s.ids, s.promptLength), 'Hello.\n');
});

test('format: standard rejects conversational records and vice versa; mixed kinds in one record are errors', async () => {
  const conv = await jsonl([{ prompt: [{ role: 'user', content: 'x' }], chosen: [{ role: 'assistant', content: 'a' }], rejected: [{ role: 'assistant', content: 'b' }] }]);
  await assert.rejects(loadPreferenceDataset(conv, tok, { maxLength: 64, format: 'standard' }), /:1: field 'prompt' must be a string \(got a list\)/);
  const std = await jsonl([{ prompt: 'x', chosen: 'a', rejected: 'b' }]);
  await assert.rejects(loadPreferenceDataset(std, tok, { maxLength: 64, format: 'conversational' }), /:1: field 'prompt' must be a list of \{role, content\} messages \(got a string\)/);
  const mixed = await jsonl([{ prompt: [{ role: 'user', content: 'x' }], chosen: 'a', rejected: [] }]);
  await assert.rejects(loadPreferenceDataset(mixed, tok, { maxLength: 64 }), /:1: field 'chosen' must be a list of \{role, content\} messages, like 'prompt' \(got a string\)/);
});

test('a template whose prompt rendering is not a prefix of the full rendering is split at the prompt length and counted, as TRL does', async () => {
  const bad = '{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>>{% endif %}';
  const file = await jsonl([{ prompt: [{ role: 'user', content: 'q' }], chosen: [{ role: 'assistant', content: 'abc' }], rejected: [{ role: 'assistant', content: 'xyz' }] }]);
  const { examples, stats } = await loadPreferenceDataset(file, tok, { maxLength: 64, chatTemplate: bad });
  // prompt 'q>>' (3 tokens), full 'qabc': the completion is what follows the first 3 tokens.
  assert.equal(decodeCompletion(examples[0]!.chosen.ids, examples[0]!.chosen.promptLength), 'c');
  assert.equal(stats.promptMismatch, 2);
  assert.ok(DEFAULT_CHAT_TEMPLATE.includes('add_generation_prompt'));
});

test('SFT records (prompt/completion) load as sequences; readPreferenceRecords keeps the texts', async () => {
  const file = await jsonl([{ prompt: 'Q: 2*3\nA: ', completion: '6' }, { prompt: 'Q', completion: 7 }]);
  await assert.rejects(loadSftDataset(file, tok, { maxLength: 64 }), /:2: field 'completion' must be a string, like 'prompt' \(got a number\)/);
  const { examples, stats } = await loadSftDataset(file, tok, { maxLength: 64, skipInvalid: true });
  assert.equal(stats.kept, 1);
  assert.equal(decodeCompletion(examples[0]!.sequence.ids, examples[0]!.sequence.promptLength), '6');
  const pref = await jsonl([{ prompt: 'p', chosen: 'c', rejected: 'r' }]);
  const [record] = await readPreferenceRecords(pref);
  assert.deepEqual({ prompt: record!.prompt, chosen: record!.chosen, format: record!.format }, { prompt: 'p', chosen: 'c', format: 'standard' });
});
