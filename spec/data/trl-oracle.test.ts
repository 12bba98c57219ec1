/**
 * Oracle: prefopt's token ids equal what TRL v1.x's DPOTrainer/SFTTrainer tokenization produces,
 * with transformers.js (@huggingface/transformers, a test-only dependency) in the role of the
 * transformers tokenizer: `apply_chat_template(..., tokenize=True)` for conversational records, the
 * tokenizer called on text (special tokens added, EOS text appended to the completion) for
 * standard ones, and TRL's extract_prompt (transcribed below from trl/data_utils.py) for records
 * without a prompt. Six template families over tiny tokenizers in spec/fixtures/chat/ (their
 * chat templates are the shipped ones). Nothing is downloaded: remote models are off.
 *
 * The oracle shares @huggingface/jinja and @huggingface/tokenizers with prefopt (transformers.js
 * uses both), so it checks what prefopt builds on them (template choice, template variables,
 * prompt/completion split, special tokens, EOS), not the Jinja engine itself.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { loadPreferenceDataset, loadSftDataset } from '../../core/data/datasets.ts';
import { HfTokenizer } from '../../core/model/hf-tokenizer.ts';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'chat');
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = `${FIXTURES}/`;

type Msg = { role: string; content: string | null; [k: string]: unknown };
type Rec = Record<string, unknown>;
const user = (content: string): Msg => ({ role: 'user', content });
const assistant = (content: string): Msg => ({ role: 'assistant', content });
const system = (content: string): Msg => ({ role: 'system', content });

/** trl/data_utils.py extract_prompt, line for line (Python's negative indexing is JS's at/slice). */
function trlExtractPrompt(chosen: string | Msg[], rejected: string | Msg[]) {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  let idx = 0;
  const n = Math.min(chosen.length, rejected.length);
  for (let i = 0; i < n; i++) {
    idx = i; // Python's loop variable keeps its last value when the loop ends without break
    if (!same(chosen[i], rejected[i])) {
      if (chosen.at(idx - 1) === ' ') idx -= 1;
      break;
    }
  }
  return { prompt: chosen.slice(0, idx), chosen: chosen.slice(idx), rejected: rejected.slice(idx) };
}

/** TRL's token ids for one record side: prompt ids and prompt + completion ids. */
function trlIds(hf: PreTrainedTokenizer, template: string | undefined, record: Rec, side: string, configKwargs: Rec = {}): { ids: number[]; promptLength: number } {
  let example = record;
  if ('messages' in example) {
    // SFTTrainer's language-modeling case: the whole conversation, every token trained on.
    const ids = hf.apply_chat_template(example.messages as never, { chat_template: template ?? null, tokenize: true, return_tensor: false, return_dict: false, ...configKwargs }) as number[];
    return { ids, promptLength: 0 };
  }
  if ('text' in example) {
    const eos = hf.eos_token as string;
    const text = example.text as string;
    return { ids: hf.encode(text.endsWith(eos) ? text : text + eos), promptLength: 0 };
  }
  if (!('prompt' in example)) example = { ...example, ...trlExtractPrompt(example.chosen as Msg[], example.rejected as Msg[]) };
  const prompt = example.prompt as string | Msg[];
  const completion = example[side] as string | Msg[];
  if (Array.isArray(prompt)) {
    const tools = typeof example.tools === 'string' ? JSON.parse(example.tools) : example.tools ?? null;
    const apply = (messages: Msg[], add_generation_prompt: boolean) =>
      hf.apply_chat_template(messages as never, { tools, add_generation_prompt, chat_template: template ?? null, tokenize: true, return_tensor: false, return_dict: false, ...configKwargs, ...(example.chat_template_kwargs as Rec) }) as number[];
    const promptIds = apply(prompt, true);
    return { ids: apply([...prompt, ...(completion as Msg[])], false), promptLength: promptIds.length };
  }
  const eos = hf.eos_token as string;
  const text = (completion as string).endsWith(eos) ? (completion as string) : completion + eos;
  return { ids: hf.encode(prompt + text), promptLength: hf.encode(prompt).length };
}

async function jsonl(records: Rec[]): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'prefopt-oracle-'));
  const file = path.join(dir, 'data.jsonl');
  await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n'));
  return file;
}

const sky = 'What color is the sky?';
/** Records of every kind; `withSystem` for templates that accept a system message. */
function preferenceRecords(withSystem: boolean): Rec[] {
  const history = [...(withSystem ? [system('You are terse.')] : []), user('hello'), assistant('hello, you are?'), user(sky)];
  return [
    { prompt: [user(sky)], chosen: [assistant('It is blue.')], rejected: [assistant('It is green.')] },
    { prompt: history, chosen: [assistant('Blue.')], rejected: [assistant('  green  ')] },
    { chosen: [user(sky), assistant('It is blue.')], rejected: [user(sky), assistant('Green!')] },
    { chosen: [...history, assistant('blue')], rejected: [...history, assistant('green')] },
    { prompt: 'The sky is', chosen: ' blue.', rejected: ' green.' },
    { prompt: 'Q: what color is the sky?\nA:', chosen: ' blue', rejected: ' green</s>' },
    { chosen: `${sky} It is blue.`, rejected: `${sky} It is green.` },
  ];
}

function sftRecords(withSystem: boolean): Rec[] {
  return [
    { prompt: [...(withSystem ? [system('Be kind.')] : []), user(sky)], completion: [assistant('The sky is blue.')] },
    { prompt: [user('hello'), assistant('hello'), user(sky)], completion: [assistant('blue')] },
    { prompt: 'The sky is', completion: ' blue' },
    { messages: [...(withSystem ? [system('Be kind.')] : []), user(sky), assistant('Blue.'), user('Sure?'), assistant('Yes.')] },
    { text: 'The sky is blue.' },
  ];
}

const FAMILIES = [
  { name: 'qwen2_5', withSystem: true },
  { name: 'qwen3', withSystem: true },
  { name: 'llama3', withSystem: true },
  { name: 'mistral', withSystem: false },
  { name: 'llama2', withSystem: true },
  { name: 'gemma', withSystem: false },
];

async function load(name: string) {
  const ours = await HfTokenizer.fromDir(path.join(FIXTURES, name));
  const theirs = await AutoTokenizer.from_pretrained(name, { local_files_only: true });
  // transformers.js reads tokenizer_config.json's template only; Python transformers (and prefopt)
  // also read chat_template.jinja, so the oracle is given that file's text.
  const jinja = await readFile(path.join(FIXTURES, name, 'chat_template.jinja'), 'utf8').catch(() => undefined);
  return { ours, theirs, jinja };
}

for (const { name, withSystem } of FAMILIES) {
  test(`${name}: preference token ids equal TRL's (single/multi-turn, standard, conversational, implicit prompt)`, async () => {
    const { ours, theirs, jinja } = await load(name);
    const records = preferenceRecords(withSystem);
    const { examples, stats } = await loadPreferenceDataset(await jsonl(records), ours, { maxLength: 4096 });
    assert.equal(examples.length, records.length);
    records.forEach((record, i) => {
      for (const side of ['chosen', 'rejected'] as const) {
        const expected = trlIds(theirs, jinja, record, side);
        assert.deepEqual({ ids: examples[i]![side].ids, promptLength: examples[i]![side].promptLength }, expected, `record ${i + 1} ${side}`);
      }
    });
    assert.equal(stats.promptMismatch, 0);
  });

  test(`${name}: SFT token ids equal TRL's (prompt/completion, and language modeling: messages, text)`, async () => {
    const { ours, theirs, jinja } = await load(name);
    const records = sftRecords(withSystem);
    const { examples } = await loadSftDataset(await jsonl(records), ours, { maxLength: 4096 });
    records.forEach((record, i) => {
      assert.deepEqual({ ids: examples[i]!.sequence.ids, promptLength: examples[i]!.sequence.promptLength }, trlIds(theirs, jinja, record, 'completion'), `record ${i + 1}`);
    });
  });
}

test("qwen2_5: a tools column and an assistant's tool_calls render as TRL renders them", async () => {
  const { ours, theirs } = await load('qwen2_5');
  const tools = [{ type: 'function', function: { name: 'sky_color', description: 'Color of the sky', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const call = { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'sky_color', arguments: { city: 'Paris' } } }] };
  const records: Rec[] = [
    { prompt: [user(sky)], chosen: [call], rejected: [assistant('green')], tools },
    { prompt: [user(sky), call, { role: 'tool', content: 'blue' }], chosen: [assistant('It is blue.')], rejected: [assistant('It is green.')], tools: JSON.stringify(tools) },
  ];
  const { examples } = await loadPreferenceDataset(await jsonl(records), ours, { maxLength: 4096 });
  records.forEach((record, i) => {
    for (const side of ['chosen', 'rejected'] as const) {
      assert.deepEqual({ ids: examples[i]![side].ids, promptLength: examples[i]![side].promptLength }, trlIds(theirs, undefined, record, side), `record ${i + 1} ${side}`);
    }
  });
  assert.match(ours.decode(examples[0]!.chosen.ids), /<tools>\n\{"type": "function".*"name": "sky_color".*\{"name": "sky_color", "arguments": \{"city": "Paris"\}\}/s);
});

test('qwen3: chat_template_kwargs (config and per record, enable_thinking) and reasoning_content render as TRL renders them', async () => {
  const { ours, theirs } = await load('qwen3');
  const think = { role: 'assistant', content: 'Blue.', reasoning_content: 'Rayleigh scattering.' };
  const records: Rec[] = [
    { prompt: [user(sky)], chosen: [think], rejected: [assistant('Green.')] },
    { prompt: [user(sky)], chosen: [think], rejected: [assistant('Green.')], chat_template_kwargs: { enable_thinking: false } },
    { prompt: [user('hello'), think, user(sky)], chosen: [assistant('Blue.')], rejected: [think] },
  ];
  for (const configKwargs of [{}, { enable_thinking: false }]) {
    const { examples } = await loadPreferenceDataset(await jsonl(records), ours, { maxLength: 4096, chatTemplateKwargs: configKwargs });
    records.forEach((record, i) => {
      for (const side of ['chosen', 'rejected'] as const) {
        const expected = trlIds(theirs, undefined, record, side, configKwargs);
        assert.deepEqual({ ids: examples[i]![side].ids, promptLength: examples[i]![side].promptLength }, expected, `${JSON.stringify(configKwargs)} record ${i + 1} ${side}`);
      }
    });
  }
  const { examples } = await loadPreferenceDataset(await jsonl(records.slice(0, 2)), ours, { maxLength: 4096 });
  const promptTokens = (i: number) => {
    const { ids, promptLength } = examples[i]!.rejected;
    return ids.slice(0, promptLength).map((id) => ours.idToToken(id)).join(''); // byte-level: Ċ is \n
  };
  assert.ok(promptTokens(0).endsWith('<|im_start|>assistantĊ'), promptTokens(0));
  assert.ok(promptTokens(1).endsWith('<|im_start|>assistantĊ<think>ĊĊ</think>ĊĊ'), `enable_thinking: false writes the empty think block: ${promptTokens(1)}`);
});

test("gemma: the template's own raise_exception (no system role) is a UserError naming file and line", async () => {
  const { ours } = await load('gemma');
  const file = await jsonl([{ prompt: [system('x'), user('q')], chosen: [assistant('a')], rejected: [assistant('b')] }]);
  await assert.rejects(loadPreferenceDataset(file, ours, { maxLength: 64 }), new RegExp(`^UserError: .*data\\.jsonl:1: the chat template failed: .*System role not supported`));
});
