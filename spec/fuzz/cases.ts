/**
 * Generated malformed inputs, one generator per input kind: loss JSONL, run configs, datasets,
 * model directories, tokenizer files, CLI options, and training outputs. Each case is a CLI
 * command line plus the check of a successful run's output (finite numbers, the right count, and
 * where the answer is known, the answer); everything else (one-line error, no stack trace, no hang,
 * no file touched outside the outputs) the harness checks for every case.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { createRng } from '../../core/data/random.ts';
import { charTokenizerFiles, createCharTokenizer } from '../../core/model/char-tokenizer.ts';
import { saveModelDir } from '../../core/model/checkpoint.ts';
import { tinyConfig } from '../../core/model/config.ts';
import { CausalLM } from '../../core/model/llama.ts';
import { runCli } from './harness.ts';

export interface FuzzCase {
  kind: string;
  /** What was generated, for the failure message. */
  description: string;
  argv: string[];
  /** Paths the command may write (the sandbox is otherwise read-only for it). */
  outputs: string[];
  /** For exit 0: why the output is wrong, or undefined. */
  check(stdout: string): string | undefined;
  timeoutMs: number;
}

/** A seeded random source with the picks the generators need. */
export class Random {
  private readonly rng;
  constructor(seed: number) {
    this.rng = createRng(seed);
  }
  next(): number {
    return this.rng.next();
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The files every case reads: a tiny model directory, valid records, a valid config. */
export interface Sandbox {
  root: string;
  model: string;
  pairs: string;
  /** logprobs of `pairs` under `model`, the known answer for inputs that must not change it. */
  baselineLogprobs: string;
}

const PAIRS = [
  { prompt: 'a1:', chosen: 'aa', rejected: 'bb' },
  { prompt: 'b2:', chosen: 'bb', rejected: 'cz' },
  { prompt: 'Q: 2+3\nA: ', chosen: '5', rejected: '6' },
];

export async function createSandbox(root: string): Promise<Sandbox> {
  await mkdir(root, { recursive: true });
  const model = path.join(root, 'model');
  const config = tinyConfig({ vocab_size: 100, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 48, pad_token_id: 0 });
  const lm = CausalLM.random(config, 5);
  await saveModelDir(model, lm, createCharTokenizer());
  lm.dispose();
  const pairs = path.join(root, 'pairs.jsonl');
  await writeFile(pairs, `${PAIRS.map((p) => JSON.stringify(p)).join('\n')}\n`);
  const baseline = await runCli(['logprobs', '--model', model, '--input', pairs], 60_000);
  if (baseline.code !== 0) throw new Error(`fuzz sandbox: baseline logprobs failed: ${baseline.stderr}`);
  return { root, model, pairs, baselineLogprobs: baseline.stdout };
}

const WEIRD_JSON = ['null', '"x"', '"-1"', 'true', '[]', '{}', '-1e39', '1e39', '1e308', '-1e308', '0', '1e-320', '-0', '"NaN"', '1e999', '-1e999', '5', '2.5', '""', '[1]'];
const GARBAGE_LINES = ['{', 'null', '[]', '"str"', '{"a":', '\u0000', 'NaN', '1e999', '{}}', '{"prompt": "a", "chosen": "b"', '\uFEFF{}', '[{"role": "user"}]'];
const WEIRD_YAML = ['.inf', '-.inf', '.nan', '1e12', '-1', '0', '2.5', 'abc', '[1, 2]', '{a: 1}', 'null', '~', '""', 'true', '1e400', "'1'", '-0', '0x10', '99999999999999999999'];

/** Every number in a parsed JSON value is finite (JSON prints NaN/Infinity as null: a null where a number belongs is flagged too). */
function finiteNumbers(value: unknown, where = ''): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${where} is ${value}`;
  if (value === null) return `${where} is null`;
  if (typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const bad = finiteNumbers(v, `${where}.${k}`);
    if (bad) return bad;
  }
  return undefined;
}

function jsonLines(stdout: string): { values?: unknown[]; error?: string } {
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  try {
    return { values: lines.map((l) => JSON.parse(l) as unknown) };
  } catch {
    return { error: `output is not JSONL: ${JSON.stringify(stdout.slice(0, 200))}` };
  }
}

/** `prefopt loss` on JSONL log-prob pairs, some fields or lines broken. */
async function lossCase(r: Random, dir: string): Promise<FuzzCase> {
  const fields = ['policy_chosen_logps', 'policy_rejected_logps', 'ref_chosen_logps', 'ref_rejected_logps'];
  const lines: string[] = [];
  // Per line: the record (valid), null (must be rejected), or undefined (valid for some losses only).
  const records: Array<Record<string, number> | null | undefined> = [];
  const notes: string[] = [];
  for (let i = r.int(1, 5); i > 0; i--) {
    if (r.chance(0.15)) {
      const garbage = r.pick(GARBAGE_LINES);
      lines.push(garbage);
      records.push(null);
      notes.push(`line ${JSON.stringify(garbage)}`);
      continue;
    }
    const record: Record<string, unknown> = Object.fromEntries(fields.map((f) => [f, -(0.1 + r.next() * 30)]));
    let valid = true;
    if (r.chance(0.3)) {
      const field = r.pick(fields);
      if (r.chance(0.3)) delete record[field];
      else record[field] = JSON.parse(r.pick(WEIRD_JSON));
      notes.push(`${field}=${JSON.stringify(record[field])}`);
      const value = record[field];
      // Any float32 number is a usable log-prob; a missing ref_* field is fine for reference-free losses.
      const usable = typeof value === 'number' && Math.abs(value) <= 3.4028234663852886e38;
      if (!usable) valid = value === undefined && field.startsWith('ref_') ? (undefined as unknown as boolean) : false;
    }
    if (r.chance(0.3)) lines.push('');
    lines.push(JSON.stringify(record));
    records.push(valid === false ? null : valid === true ? (record as Record<string, number>) : undefined);
  }
  const file = path.join(dir, 'pairs.jsonl');
  await writeFile(file, `${lines.join('\n')}\n`);
  const loss = r.pick(['dpo', 'sigmoid', 'ipo', 'hinge', 'minor-dpo', 'not-a-loss']);
  const argv = ['loss', '--loss', loss, '--input', file];
  let beta: number | undefined = 0.1;
  if (r.chance(0.3)) {
    const value = r.pick(['0.1', '0.5', '1e-300', '-1', '0', 'abc', '1e300', '.inf', '2']);
    argv.push('--set', `beta=${value}`);
    beta = value === '0.5' ? 0.5 : value === '2' ? 2 : undefined;
  }
  return {
    kind: 'loss-jsonl',
    description: `loss ${loss} ${argv.slice(5).join(' ')} on ${lines.length} lines ${notes.join('; ')}`,
    argv,
    outputs: [],
    timeoutMs: 20_000,
    check(stdout) {
      const { values, error } = jsonLines(stdout);
      if (error) return error;
      const bad = records.filter((x) => x === null).length;
      if (bad > 0 || values!.length !== records.length) return `exit 0 on input with ${bad} bad lines (${values!.length} output lines for ${records.length})`;
      for (const [i, value] of values!.entries()) {
        const bad = finiteNumbers(value, `line ${i + 1}`);
        if (bad) return `silent wrong answer: ${bad}`;
        const p = records[i];
        if ((loss === 'dpo' || loss === 'sigmoid') && beta !== undefined && p) {
          const z = beta * (p.policy_chosen_logps! - p.ref_chosen_logps! - (p.policy_rejected_logps! - p.ref_rejected_logps!));
          const want = Math.log1p(Math.exp(-Math.abs(z))) + Math.max(-z, 0); // -log sigmoid(z)
          const got = (value as { loss: number }).loss;
          if (Math.abs(got - want) > 1e-4 * Math.max(1, Math.abs(want))) return `line ${i + 1}: dpo loss ${got}, float64 formula ${want}`;
        }
      }
      return undefined;
    },
  };
}

const CONFIG_KEYS = [
  'model.init.hidden_size', 'model.init.num_hidden_layers', 'model.init.vocab_size', 'model.init.max_position_embeddings', 'model.init.rope_theta',
  'model.path', 'model.tokenizer', 'data.train', 'data.maxLength', 'data.skipInvalid', 'train.learningRate', 'train.batchSize', 'train.maxSteps',
  'train.epochs', 'train.warmupRatio', 'train.adamBeta1', 'train.seed', 'train.schedule', 'loss', 'loss.beta', 'loss.name', 'output', 'stage', 'backend',
  'plugins', 'nonsense.key', 'train.nonsense',
];

/** `prefopt config check` on a YAML config with random keys set to random values, lines garbled, or alias bombs. */
async function configCase(r: Random, dir: string): Promise<FuzzCase> {
  const config: Record<string, any> = {
    model: { init: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 64 } },
    data: { train: 'train.jsonl', maxLength: 32 },
    train: { maxSteps: 2, batchSize: 2 },
    loss: { name: 'dpo', beta: 0.1 },
  };
  const notes: string[] = [];
  const overrides: string[] = [];
  const raw: string[] = []; // weird values are spliced into the YAML text as written
  for (let i = r.int(0, 2); i > 0; i--) {
    const key = r.pick(CONFIG_KEYS);
    const value = r.pick(WEIRD_YAML);
    if (r.chance(0.25)) {
      overrides.push(`${key}=${value}`);
      notes.push(`--set ${key}=${value}`);
      continue;
    }
    const parts = key.split('.');
    let node = config;
    for (const part of parts.slice(0, -1)) node = typeof node[part] === 'object' && node[part] !== null ? node[part] : (node[part] = {});
    node[parts.at(-1)!] = `__RAW${raw.length}__`;
    raw.push(value);
    notes.push(`${key}: ${value}`);
  }
  let text = YAML.stringify(config);
  raw.forEach((value, i) => (text = text.replace(`__RAW${i}__`, value)));
  const extra = r.next();
  if (extra < 0.1) {
    const bomb = ['x0: &x0 [a, a, a, a, a, a, a, a, a]'];
    for (let i = 1; i < 9; i++) bomb.push(`x${i}: &x${i} [${new Array(9).fill(`*x${i - 1}`).join(', ')}]`);
    text = `${bomb.join('\n')}\n${text}`;
    notes.push('alias bomb');
  } else if (extra < 0.2) {
    const line = r.pick(['\t: x', '- - -', 'a: &a *a', 'b: !!binary xyz', 'c: !!js/function "f"', 'model: [', '{{', 'data:\n  train: [unclosed']);
    text = `${text}\n${line}`;
    notes.push(`line ${JSON.stringify(line)}`);
  } else if (extra < 0.3) {
    text = text.slice(0, r.int(0, text.length));
    notes.push('truncated');
  }
  const file = path.join(dir, r.chance(0.2) ? 'config.json' : 'config.yaml');
  await writeFile(file, `${text}\n`);
  return {
    kind: 'config',
    description: `config ${notes.join('; ')}`,
    argv: ['config', 'check', '--config', file, ...overrides.flatMap((o) => ['--set', o])],
    outputs: [],
    timeoutMs: 20_000,
    check(stdout) {
      let value: unknown;
      try {
        value = JSON.parse(stdout);
      } catch {
        return 'config check printed no JSON';
      }
      const numbers = JSON.stringify(value).match(/-?\d+(\.\d+)?(e[+-]?\d+)?/gi) ?? [];
      if (numbers.some((n) => !Number.isFinite(Number(n)))) return 'config check accepted a non-finite number';
      const train = (value as { train?: { batchSize?: number } }).train;
      if ((train?.batchSize ?? 0) > 65_536) return `config check accepted train.batchSize ${train!.batchSize}`;
      return undefined;
    },
  };
}

/** `prefopt eval` of the sandbox model on a dataset with broken records. */
async function datasetCase(r: Random, dir: string, sandbox: Sandbox): Promise<FuzzCase> {
  const lines: string[] = [];
  const notes: string[] = [];
  for (let i = r.int(1, 3); i > 0; i--) {
    const record: Record<string, unknown> = { ...r.pick(PAIRS) };
    const roll = r.next();
    if (roll < 0.08) {
      const garbage = r.pick(GARBAGE_LINES);
      lines.push(garbage);
      notes.push(`line ${JSON.stringify(garbage)}`);
      continue;
    } else if (roll < 0.3) {
      const field = r.pick(['prompt', 'chosen', 'rejected']);
      const value = r.pick<unknown>([null, 5, [], {}, '', 'é漢字🙂', 'x'.repeat(5000), [{ role: 'user', content: 'hi' }], [{ role: 'nobody', content: 1 }], [{ content: 'x' }], true]);
      if (r.chance(0.2)) delete record[field];
      else record[field] = value;
      notes.push(`${field}=${JSON.stringify(record[field])?.slice(0, 40)}`);
    }
    lines.push(JSON.stringify(record));
  }
  const file = path.join(dir, 'data.jsonl');
  await writeFile(file, `${lines.join('\n')}\n`);
  const argv = ['eval', '--model', sandbox.model, '--reference', sandbox.model, '--data', file, '--max-length', String(r.pick([8, 32, 48])), '--batch-size', String(r.int(1, 4))];
  return {
    kind: 'dataset',
    description: `eval on ${lines.length} lines ${notes.join('; ')}`,
    argv,
    outputs: [],
    timeoutMs: 30_000,
    check(stdout) {
      const { values, error } = jsonLines(stdout);
      if (error) return error;
      if (values!.length !== 1) return `eval printed ${values!.length} lines`;
      const bad = finiteNumbers(values![0]);
      return bad ? `silent wrong answer: ${bad}` : undefined;
    },
  };
}

const STRUCTURAL = ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'tie_word_embeddings', 'model_type'];

/** `prefopt logprobs` with a damaged model directory (config, weights header, shard index, files). */
async function modelDirCase(r: Random, dir: string, sandbox: Sandbox): Promise<FuzzCase> {
  const model = path.join(dir, 'model');
  await mkdir(model);
  for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) await copyFile(path.join(sandbox.model, name), path.join(model, name));
  const notes: string[] = [];
  let mustEqualBaseline = false;
  const roll = r.next();
  if (roll < 0.4) {
    const config = JSON.parse(await readFile(path.join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
    const key = r.pick([...STRUCTURAL, 'rope_theta', 'rms_norm_eps', 'max_position_embeddings', 'eos_token_id', 'bos_token_id', 'rope_scaling', 'hidden_act']);
    const value = r.pick<unknown>([0, -1, 1, 2, 3, 8, 16, 32, 64, 100, 1e9, 1e6, 2.5, 'x', null, true, false, 'qwen2', 'llama', { type: 'x' }]);
    config[key] = value;
    notes.push(`config ${key}=${JSON.stringify(value)}`);
    mustEqualBaseline = STRUCTURAL.includes(key);
    await writeFile(path.join(model, 'config.json'), JSON.stringify(config));
  } else if (roll < 0.7) {
    const bytes = new Uint8Array(await readFile(path.join(model, 'model.safetensors')));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const how = r.pick(['header-byte', 'length', 'truncate', 'append']);
    let out = bytes;
    if (how === 'header-byte') {
      const at = r.int(0, 8 + headerLength - 1);
      out = bytes.slice();
      out[at] = r.int(0, 255);
      mustEqualBaseline = true;
    } else if (how === 'length') {
      out = bytes.slice();
      new DataView(out.buffer).setBigUint64(0, BigInt(r.pick([0, 1, headerLength - 1, headerLength + 1, 2 ** 40, bytes.length])), true);
    } else if (how === 'truncate') out = bytes.slice(0, r.int(0, bytes.length - 1));
    else out = new Uint8Array([...bytes, ...new Array(r.int(1, 16)).fill(0)]);
    notes.push(`weights ${how}`);
    await writeFile(path.join(model, 'model.safetensors'), out);
  } else if (roll < 0.85) {
    const shard = r.pick(['../../etc/passwd', '/etc/passwd', '../model/model.safetensors', 'missing.safetensors', 'sub/../../x', '', 5]);
    await copyFile(path.join(model, 'model.safetensors'), path.join(model, 'shard.safetensors'));
    const { rm } = await import('node:fs/promises');
    await rm(path.join(model, 'model.safetensors'));
    await writeFile(path.join(model, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.norm.weight': shard, 'model.embed_tokens.weight': 'shard.safetensors' } }));
    notes.push(`index weight_map -> ${JSON.stringify(shard)}`);
  } else {
    const name = r.pick(['config.json', 'model.safetensors', 'tokenizer.json']);
    const { rm } = await import('node:fs/promises');
    if (r.chance(0.5)) await rm(path.join(model, name));
    else await writeFile(path.join(model, name), r.pick(['', '{', 'null', '[]', '{"a": 1}']));
    notes.push(`${name} removed or replaced`);
  }
  return {
    kind: 'model-dir',
    description: `logprobs with ${notes.join('; ')}`,
    argv: ['logprobs', '--model', model, '--input', sandbox.pairs],
    outputs: [],
    timeoutMs: 30_000,
    check: (stdout) =>
      checkLogprobsOutput(stdout) ??
      (mustEqualBaseline && stdout !== sandbox.baselineLogprobs ? 'silent wrong answer: a structural change was accepted and changed the log-probs' : undefined),
  };
}

/** What a successful `prefopt logprobs` on the sandbox's pairs must print: one line per record, finite numbers only. */
function checkLogprobsOutput(stdout: string): string | undefined {
  const { values, error } = jsonLines(stdout);
  if (error) return error;
  if (values!.length !== PAIRS.length) return `logprobs printed ${values!.length} lines for ${PAIRS.length} records`;
  const bad = finiteNumbers(values);
  return bad ? `silent wrong answer: ${bad}` : undefined;
}

/** `prefopt logprobs` with damaged tokenizer files. */
async function tokenizerCase(r: Random, dir: string, sandbox: Sandbox): Promise<FuzzCase> {
  const model = path.join(dir, 'model');
  await mkdir(model);
  for (const name of ['config.json', 'model.safetensors']) await copyFile(path.join(sandbox.model, name), path.join(model, name));
  const { tokenizerJson, tokenizerConfig } = charTokenizerFiles();
  const json = structuredClone(tokenizerJson) as any;
  const config = structuredClone(tokenizerConfig) as any;
  const notes: string[] = [];
  const roll = r.next();
  if (roll < 0.2) {
    json.model.vocab = {};
    if (r.chance(0.5)) json.added_tokens = [];
    notes.push('empty vocab');
  } else if (roll < 0.4) {
    const keys = Object.keys(json.model.vocab);
    for (let i = r.int(1, 20); i > 0; i--) delete json.model.vocab[r.pick(keys)];
    notes.push('vocab entries removed');
  } else if (roll < 0.55) {
    const token = r.pick(['a', 'zz', '<new>']);
    json.model.vocab[token] = r.pick([100, 150, 1e6, -1, 2.5]);
    notes.push(`vocab ${token}=${json.model.vocab[token]}`);
  } else if (roll < 0.7) {
    json.model.type = r.pick(['Foo', 'WordPiece', 'Unigram', null, 5]);
    notes.push(`model.type ${json.model.type}`);
  } else if (roll < 0.85) {
    const field = r.pick(['eos_token', 'bos_token', 'pad_token', 'chat_template']);
    config[field] = r.pick<unknown>(['<nope>', 5, null, { content: 7 }, '{% for %}', '']);
    notes.push(`tokenizer_config ${field}=${JSON.stringify(config[field])}`);
  } else {
    json.added_tokens = r.pick<unknown>([null, 'x', [{ id: 1e9, content: '<big>' }], [{ id: 'x' }]]);
    notes.push(`added_tokens ${JSON.stringify(json.added_tokens)}`);
  }
  await writeFile(path.join(model, 'tokenizer.json'), r.chance(0.1) ? JSON.stringify(json).slice(0, 100) : JSON.stringify(json));
  await writeFile(path.join(model, 'tokenizer_config.json'), JSON.stringify(config));
  return {
    kind: 'tokenizer',
    description: `logprobs with tokenizer ${notes.join('; ')}`,
    argv: ['logprobs', '--model', model, '--input', sandbox.pairs],
    outputs: [],
    timeoutMs: 30_000,
    check: checkLogprobsOutput,
  };
}

const OPTION_VALUES = ['0', '-1', 'abc', '2.5', '1e9', 'NaN', 'Infinity', '', '99999999999999999999', '0x10', ' 3', '1e-9', '-0', '1', '2', '3', '8', '16', '100', '0.5'];

/** Commands with random values for their options (numbers out of range, not numbers, missing). */
async function optionsCase(r: Random, dir: string, sandbox: Sandbox): Promise<FuzzCase> {
  const prompts = path.join(dir, 'prompts.jsonl');
  await writeFile(prompts, `${JSON.stringify({ prompt: 'a1:' })}\n`);
  const commands: Array<{ base: string[]; options: string[] }> = [
    { base: ['eval', '--model', sandbox.model, '--reference', sandbox.model, '--data', sandbox.pairs], options: ['--batch-size', '--max-length', '--set', '--loss', '--backend'] },
    { base: ['logprobs', '--model', sandbox.model, '--input', sandbox.pairs], options: ['--batch-size', '--backend'] },
    { base: ['generate', '--model', sandbox.model, '--input', prompts], options: ['--max-new-tokens', '--temperature', '--top-k', '--seed', '--batch-size'] },
    { base: ['generate', '--model', sandbox.model, '--prompt', 'b2:'], options: ['--max-new-tokens', '--temperature', '--top-k', '--seed'] },
    { base: ['losses'], options: ['--json', '--nonsense'] },
  ];
  const command = r.pick(commands);
  const argv = [...command.base];
  for (let i = r.int(1, 3); i > 0; i--) {
    const option = r.pick(command.options);
    const value = option === '--set' ? `beta=${r.pick(OPTION_VALUES)}` : option === '--loss' ? r.pick(['dpo', 'ipo', 'nope', '']) : option === '--backend' ? r.pick(['cpu', 'wasm', 'gpu', '']) : r.pick(OPTION_VALUES);
    if (r.chance(0.05)) argv.push(option); // value missing
    else argv.push(option, value);
  }
  if (r.chance(0.05)) argv.splice(r.int(1, argv.length - 1), 1); // a required option or value lost
  return {
    kind: 'cli-options',
    description: `prefopt ${argv.map((a) => (a.startsWith(dir) || a.startsWith(sandbox.root) ? path.basename(a) : JSON.stringify(a))).join(' ')}`,
    argv,
    outputs: [],
    timeoutMs: 30_000,
    check(stdout) {
      if (argv[0] === 'generate' && argv.includes('--prompt')) return undefined; // plain text
      if (argv[0] === 'losses') return undefined;
      const { values, error } = jsonLines(stdout);
      if (error) return error;
      const bad = finiteNumbers(values);
      return bad ? `silent wrong answer: ${bad}` : undefined;
    },
  };
}

/** `prefopt train` (1 step of a tiny model) into outputs that must be refused or used without touching anything else. */
async function trainOutputCase(r: Random, dir: string, sandbox: Sandbox): Promise<FuzzCase> {
  const data = path.join(dir, 'train.jsonl');
  await writeFile(data, `${PAIRS.map((p) => JSON.stringify(p)).join('\n')}\n`);
  const kind = r.pick(['new', 'empty', 'foreign', 'file', 'model', 'inside-model', 'under-file', 'model-inside']);
  let output = path.join(dir, 'run');
  let modelPath: string | undefined;
  if (kind === 'empty') await mkdir(output);
  if (kind === 'foreign') {
    await mkdir(output);
    await writeFile(path.join(output, 'config.json'), '{"mine": 1}');
  }
  if (kind === 'file') await writeFile(output, 'x');
  if (kind === 'under-file') {
    await writeFile(path.join(dir, 'f'), 'x');
    output = path.join(dir, 'f', 'run');
  }
  if (kind === 'model' || kind === 'inside-model' || kind === 'model-inside') {
    modelPath = path.join(dir, 'model');
    await mkdir(modelPath);
    for (const name of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) await copyFile(path.join(sandbox.model, name), path.join(modelPath, name));
    output = kind === 'model' ? modelPath : kind === 'inside-model' ? path.join(modelPath, 'run') : output;
    if (kind === 'model-inside') {
      await mkdir(output);
      const { rename } = await import('node:fs/promises');
      await rename(modelPath, path.join(output, 'model'));
      modelPath = path.join(output, 'model');
    }
  }
  const model = modelPath
    ? `model:\n  path: ${JSON.stringify(modelPath)}\n`
    : 'model:\n  init: {hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, max_position_embeddings: 48}\n';
  const config = path.join(dir, 'config.yaml');
  await writeFile(config, `${model}data:\n  train: ${JSON.stringify(data)}\n  maxLength: 32\ntrain:\n  maxSteps: 1\n  batchSize: 2\n  logEvery: 1\n  saveEvery: 0\nbackend: wasm\noutput: ${JSON.stringify(output)}\n`);
  const writable = kind === 'new' || kind === 'empty';
  return {
    kind: 'train-output',
    description: `train with output ${kind}`,
    argv: ['train', '--config', config],
    outputs: writable ? [output] : [],
    timeoutMs: 60_000,
    check: () => (writable ? undefined : `training accepted output kind '${kind}'`),
  };
}

export const GENERATORS: Record<string, (r: Random, dir: string, sandbox: Sandbox) => Promise<FuzzCase>> = {
  'loss-jsonl': lossCase,
  config: configCase,
  dataset: datasetCase,
  'model-dir': modelDirCase,
  tokenizer: tokenizerCase,
  'cli-options': optionsCase,
  'train-output': trainOutputCase,
};
