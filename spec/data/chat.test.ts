/** TRL-exact data handling: special tokens in templates, implicit prompts, tools, tool_calls, kwargs, streaming. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { selectChatTemplate } from '../../core/data/chat.ts';
import { loadPreferenceDataset, loadSftDataset } from '../../core/data/datasets.ts';
import { streamJsonl } from '../../core/data/jsonl.ts';
import { UserError } from '../../core/errors.ts';
import { extractPrompt } from '../../core/data/records.ts';
import { charTokenizerFiles, createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { HfTokenizer } from '../../core/model/hf-tokenizer.ts';

const tok = createCharTokenizer();
const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

async function jsonl(lines: unknown[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-chat-'));
  const file = path.join(dir, 'data.jsonl');
  await writeFile(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return file;
}

function withTemplate(chat_template: unknown): HfTokenizer {
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  return new HfTokenizer(tokenizerJson, { ...tokenizerConfig, chat_template });
}

const text = (ids: number[]) => tok.decode(ids);
// decode drops specials; this keeps them visible.
const tokens = (ids: number[]) => ids.map((id) => tok.idToToken(id)).join('');

test("bos_token/eos_token reach the template (Llama-2 style <s>...</s>); no EOS is added after the template's end of turn", async () => {
  const llama2ish = "{% for m in messages %}{% if m.role == 'user' %}{{ bos_token + '[INST] ' + m.content + ' [/INST]' }}{% else %}{{ ' ' + m.content + ' ' + eos_token }}{% endif %}{% endfor %}";
  const file = await jsonl([{ prompt: [user('Hi')], chosen: [assistant('Yo')], rejected: [assistant('No')] }]);
  const { examples } = await loadPreferenceDataset(file, withTemplate(llama2ish), { maxLength: 128 });
  const { chosen } = examples[0]!;
  assert.equal(tokens(chosen.ids), '<bos>[INST] Hi [/INST] Yo <eos>');
  assert.equal(tokens(chosen.ids.slice(chosen.promptLength)), ' Yo <eos>');
});

test("a tokenizer without pad_token shows the template eos_token as pad_token, as TRL's trainers set it", async () => {
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  const { pad_token: _pad, ...noPad } = tokenizerConfig;
  const tokenizer = new HfTokenizer(tokenizerJson, { ...noPad, chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}{{ pad_token }}' });
  const file = await jsonl([{ prompt: [user('q')], completion: [assistant('a')] }]);
  const { examples } = await loadSftDataset(file, tokenizer, { maxLength: 64 });
  assert.equal(tokens(examples[0]!.sequence.ids), 'qa<eos>');
});

test('standard records: EOS text appended unless the completion ends with it; BOS from the tokenizer post-processor', async () => {
  const file = await jsonl([{ prompt: 'Q', chosen: 'a', rejected: 'b<eos>' }]);
  const { examples } = await loadPreferenceDataset(file, tok, { maxLength: 64 });
  assert.equal(tokens(examples[0]!.chosen.ids), '<bos>Qa<eos>');
  assert.equal(tokens(examples[0]!.rejected.ids), '<bos>Qb<eos>');
  assert.equal(examples[0]!.chosen.promptLength, 2);
});

test("extractPrompt is TRL's extract_prompt: common prefix; a space before the difference goes with the completions", () => {
  assert.deepEqual(extractPrompt('The sky is blue.', 'The sky is green.'), { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' });
  const sky = user('What color is the sky?');
  assert.deepEqual(extractPrompt([sky, assistant('It is blue.')], [sky, assistant('It is green.')]), {
    prompt: [sky],
    chosen: [assistant('It is blue.')],
    rejected: [assistant('It is green.')],
  });
  // One side a prefix of the other: TRL's loop ends at the last shared index.
  assert.deepEqual(extractPrompt('abc', 'abcd'), { prompt: 'ab', chosen: 'c', rejected: 'cd' });
});

test('implicit-prompt preference records (no prompt) load with the extracted prompt, standard and conversational', async () => {
  const sky = user('Sky?');
  const file = await jsonl([
    { chosen: [sky, assistant('Blue.')], rejected: [sky, assistant('Green.')] },
    { chosen: 'The sky is blue.', rejected: 'The sky is green.' },
  ]);
  const { examples } = await loadPreferenceDataset(file, tok, { maxLength: 256 });
  const [conv, std] = examples;
  assert.equal(text(conv!.chosen.ids.slice(0, conv!.chosen.promptLength)), '<|im_start|>user\nSky?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(text(conv!.rejected.ids.slice(conv!.rejected.promptLength)), 'Green.<|im_end|>\n');
  assert.equal(tokens(std!.chosen.ids.slice(0, std!.chosen.promptLength)), '<bos>The sky is');
  assert.equal(tokens(std!.chosen.ids.slice(std!.chosen.promptLength)), ' blue.<eos>');
});

const TOOLS_TEMPLATE =
  "{% if tools %}[tools:{% for t in tools %}{{ t.name }};{% endfor %}]{% endif %}{% for m in messages %}<{{ m.role }}>{% if m.tool_calls %}{% for c in m.tool_calls %}call {{ c.function.name }}({{ c.function.arguments | tojson }}){% endfor %}{% else %}{{ m.content }}{% endif %}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";

test('a tools column is rendered through the template (also as a JSON string); tool_calls are rendered', async () => {
  const call = { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'add', arguments: { a: 1 } } }] };
  const file = await jsonl([
    { prompt: [user('1+?')], completion: [call], tools: [{ name: 'add' }] },
    { prompt: [user('x')], completion: [assistant('y')], tools: JSON.stringify([{ name: 'mul' }]) },
  ]);
  const { examples } = await loadSftDataset(file, withTemplate(TOOLS_TEMPLATE), { maxLength: 256 });
  const [first, second] = examples.map((e) => text(e.sequence.ids));
  // (transformers renders with trim_blocks: the newline after {% endif %} goes)
  assert.equal(first, '[tools:add;]<user>1+?<assistant>call add({"a": 1})');
  assert.equal(second, '[tools:mul;]<user>x<assistant>y');
});

test('tools or tool_calls the template never reads are errors naming file, line and field, never dropped', async () => {
  const plain = withTemplate("{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}");
  const calls = await jsonl([
    { prompt: [user('q')], chosen: [assistant('a')], rejected: [assistant('b')] },
    { prompt: [user('q')], chosen: [assistant('a')], rejected: [{ role: 'assistant', tool_calls: [{ function: { name: 'f', arguments: {} } }] }] },
  ]);
  await assert.rejects(loadPreferenceDataset(calls, plain, { maxLength: 64 }), (error: Error) =>
    error instanceof UserError && error.message.startsWith(`${calls}:2: field 'rejected[0].tool_calls': the chat template does not render tool calls`));
  const tools = await jsonl([{ prompt: [user('q')], chosen: [assistant('a')], rejected: [assistant('b')], tools: [{ name: 'f' }] }]);
  await assert.rejects(loadPreferenceDataset(tools, plain, { maxLength: 64 }), /:1: field 'tools': the chat template does not render tools/);
  // An empty tools list (a uniform column) loses nothing.
  const emptyTools = await jsonl([{ prompt: [user('q')], chosen: [assistant('a')], rejected: [assistant('b')], tools: [] }]);
  const emptyStandard = await jsonl([{ prompt: 'q', chosen: 'a', rejected: 'b', tools: [] }]);
  for (const f of [emptyTools, emptyStandard]) assert.equal((await loadPreferenceDataset(f, plain, { maxLength: 64 })).examples.length, 1);
  const standard = await jsonl([{ prompt: 'q', chosen: 'a', rejected: 'b', tools: [{ name: 'f' }] }]);
  await assert.rejects(loadPreferenceDataset(standard, plain, { maxLength: 64 }), /:1: field 'tools' needs conversational records/);
  const noContent = await jsonl([{ prompt: [user('q')], chosen: [{ role: 'assistant' }], rejected: [assistant('b')] }]);
  await assert.rejects(loadPreferenceDataset(noContent, plain, { maxLength: 64 }), /:1: field 'chosen\[0\]' must be a message .*'content' must be a string/);
});

test("named templates: 'tool_use' for records with tools, else 'default'; chat_template_kwargs from the config, a record's own win", async () => {
  const tokenizer = withTemplate([
    { name: 'default', template: '{{ mode }}{% for m in messages %}{{ m.content }}{% endfor %}' },
    { name: 'tool_use', template: '{{ mode }}T{{ (tools or []) | length }}{% for m in messages %}{{ m.content }}{% endfor %}' },
  ]);
  assert.equal(selectChatTemplate(tokenizer, { tools: true }), tokenizer.chatTemplates!.tool_use);
  assert.equal(selectChatTemplate(tokenizer, {}), tokenizer.chatTemplates!.default);
  const file = await jsonl([
    { prompt: [user('q')], completion: [assistant('a')] },
    { prompt: [user('q')], completion: [assistant('a')], tools: [{ name: 'f' }], chat_template_kwargs: { mode: 'R' } },
  ]);
  const { examples } = await loadSftDataset(file, tokenizer, { maxLength: 64, chatTemplateKwargs: { mode: 'C' } });
  assert.deepEqual(examples.map((e) => text(e.sequence.ids)), ['Cqa', 'RT1qa']);
  assert.throws(() => selectChatTemplate({ chatTemplates: { a: 'x', b: 'y' } }), /several chat templates \(a, b\) and none named 'default'/);
  // data.chatTemplate: a template name, or Jinja text; anything else is a clear error.
  assert.equal(selectChatTemplate(tokenizer, { template: 'tool_use' }), tokenizer.chatTemplates!.tool_use);
  assert.equal(selectChatTemplate(tokenizer, { template: '{{ messages }}' }), '{{ messages }}');
  assert.throws(() => selectChatTemplate(tokenizer, { template: 'chatml' }), /data\.chatTemplate 'chatml' is neither one of the tokenizer's chat templates \(default, tool_use\) nor Jinja text/);
  const forced = await loadSftDataset(file, tokenizer, { maxLength: 64, chatTemplate: 'tool_use', chatTemplateKwargs: { mode: 'C' } });
  assert.deepEqual(forced.examples.map((e) => text(e.sequence.ids)), ['CT0qa', 'RT1qa']);
});

test('streamJsonl parses line by line: records before a bad line arrive before its error', async () => {
  const file = await jsonl(['{"a":1}', '', '{"a":2}', '{oops']);
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const { line } of streamJsonl(file)) seen.push(line);
  }, /:4: invalid JSON/);
  assert.deepEqual(seen, [1, 3]);
});

test("SFT language-modeling records (TRL's text / messages) train on every token; bad ones name the field", async () => {
  const file = await jsonl([{ text: 'Hi' }, { messages: [user('q'), assistant('a')] }]);
  const { examples } = await loadSftDataset(file, tok, { maxLength: 64 });
  assert.deepEqual(examples.map((e) => e.sequence.promptLength), [0, 0]);
  assert.equal(tokens(examples[0]!.sequence.ids), '<bos>Hi<eos>');
  assert.equal(text(examples[1]!.sequence.ids), '<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\na<|im_end|>\n');
  const shareGpt = await jsonl([{ conversations: [{ from: 'user', value: 'q' }, { from: 'assistant', value: 'a' }] }]);
  assert.deepEqual((await loadSftDataset(shareGpt, tok, { maxLength: 64 })).examples[0]!.sequence.ids, examples[1]!.sequence.ids, 'ShareGPT from/value as TRL converts it');
  const bad = await jsonl([{ messages: [user('q'), { role: 'assistant' }] }]);
  await assert.rejects(loadSftDataset(bad, tok, { maxLength: 64 }), /:1: field 'messages\[1\]' must be a message/);
  const empty = await jsonl([{ text: '' }]);
  await assert.rejects(loadSftDataset(empty, tok, { maxLength: 64 }), /:1: field 'text' must be a non-empty string/);
});
