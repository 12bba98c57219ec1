/**
 * Validated dataset records in TRL's formats.
 *
 * Preference data (TRL's "preference" type, explicit prompt):
 * - standard:       `{"prompt": "...", "chosen": "...", "rejected": "..."}`
 * - conversational: `{"prompt": [{role, content}, ...], "chosen": [{role: "assistant", content}], "rejected": [...]}`
 *
 * - implicit prompt: `{"chosen": [...whole conversation], "rejected": [...]}` (or strings): the
 *   prompt is their common start, as TRL's `extract_prompt` finds it.
 *
 * SFT data (TRL's "prompt-completion" type): `{"prompt": ..., "completion": ...}`, standard or
 * conversational likewise; or TRL's "language modeling" type, `{"text": "..."}` or
 * `{"messages": [...]}` (or ShareGPT's `{"conversations": [{from, value}]}`), trained on every token. Conversational records may carry `tools` and `chat_template_kwargs`
 * columns for the chat template. Other fields are ignored (datasets often carry ids or scores).
 */
import { lineError } from '../errors.ts';

/**
 * One chat message as the record holds it: `role`, `content` (a string; null or absent only on a
 * message with `tool_calls`) and any other fields (`tool_calls`, `tool_call_id`, `name`, ...),
 * which go to the chat template unchanged, as transformers passes them.
 */
export interface Message {
  role: string;
  content?: string | null;
  tool_calls?: unknown[];
  [field: string]: unknown;
}

/** `standard`: plain strings; `conversational`: lists of chat messages; `auto`: either, per record. */
export type DataFormat = 'auto' | 'standard' | 'conversational';

/** A text or a conversation, as a record field holds it. */
export type TextOrMessages = string | Message[];

export interface RecordSource {
  file: string;
  /** 1-based line number. */
  line: number;
}

/** What conversational records carry for the chat template besides the messages. */
export interface TemplateInputs {
  /** The record's `tools` column (JSON schemas of functions), given to the template as `tools`. */
  tools?: unknown[];
  /** The record's `chat_template_kwargs` column: extra template variables, over the configured ones. */
  chatTemplateKwargs?: Record<string, unknown>;
}

export interface PreferenceRecord extends TemplateInputs {
  format: 'standard' | 'conversational';
  prompt: TextOrMessages;
  chosen: TextOrMessages;
  rejected: TextOrMessages;
  /** True when the record had no `prompt` and it was extracted from chosen/rejected (TRL's `extract_prompt`). */
  implicitPrompt?: boolean;
  source: RecordSource;
}

export interface SftRecord extends TemplateInputs {
  format: 'standard' | 'conversational';
  prompt: TextOrMessages;
  completion: TextOrMessages;
  /**
   * TRL's language-modeling type (`{"text": ...}` or `{"messages": [...]}`): no prompt, every
   * token is trained on; `completion` holds the text or the conversation, `prompt` is empty.
   */
  languageModeling?: boolean;
  source: RecordSource;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message, checked: role a non-empty string; content a string, or null/absent beside tool_calls. */
function checkMessage(value: unknown, where: string, src: RecordSource): Message {
  const bad = (what: string) => lineError(src.file, src.line, `field '${where}' ${what} (got ${JSON.stringify(value)})`);
  if (!isObject(value)) throw bad('must be a message {role: string, content: string}');
  if (typeof value.role !== 'string' || value.role === '') throw bad("must be a message {role: string, content: string}: 'role' must be a non-empty string");
  const toolCalls = value.tool_calls;
  if (toolCalls !== undefined && toolCalls !== null && !Array.isArray(toolCalls)) throw bad("must be a message whose 'tool_calls' is a list");
  const hasToolCalls = Array.isArray(toolCalls) && toolCalls.length > 0;
  const content = value.content;
  if (typeof content !== 'string' && !(hasToolCalls && (content === null || content === undefined))) {
    throw bad("must be a message {role: string, content: string}: 'content' must be a string (null or absent only beside 'tool_calls')");
  }
  return { ...value } as Message;
}

/** The record's format, from `key` (its prompt, or chosen for an implicit prompt), checked against the requested format. */
function recordFormat(obj: Record<string, unknown>, format: DataFormat, src: RecordSource, key = 'prompt'): 'standard' | 'conversational' {
  const value = obj[key];
  const found = typeof value === 'string' ? 'standard' : Array.isArray(value) ? 'conversational' : undefined;
  if (found === undefined || (format !== 'auto' && found !== format)) {
    const expected =
      format === 'standard' ? 'a string' : format === 'conversational' ? 'a list of {role, content} messages' : 'a string or a list of {role, content} messages';
    throw lineError(src.file, src.line, `field '${key}' must be ${expected} (got ${describe(value)})`);
  }
  return found;
}

/** Checks one field of a record in the given format; returns its value. */
function field(
  obj: Record<string, unknown>,
  name: string,
  format: 'standard' | 'conversational',
  src: RecordSource,
  options: { allowEmpty: boolean; like?: string },
): TextOrMessages {
  const value = obj[name];
  if (format === 'standard') {
    if (typeof value !== 'string') {
      throw lineError(src.file, src.line, `field '${name}' must be a string, like '${options.like ?? 'prompt'}' (got ${describe(value)})`);
    }
    if (!options.allowEmpty && value === '') throw lineError(src.file, src.line, `field '${name}' must be a non-empty string`);
    return value;
  }
  if (!Array.isArray(value)) {
    throw lineError(src.file, src.line, `field '${name}' must be a list of {role, content} messages, like '${options.like ?? 'prompt'}' (got ${describe(value)})`);
  }
  if (!options.allowEmpty && value.length === 0) {
    throw lineError(src.file, src.line, `field '${name}' must be a non-empty list of {role, content} messages`);
  }
  return value.map((message, i) => checkMessage(message, `${name}[${i}]`, src));
}

function asRecordObject(value: unknown, src: RecordSource): Record<string, unknown> {
  if (!isObject(value)) {
    throw lineError(src.file, src.line, `expected a JSON object (got ${describe(value)})`);
  }
  return value as Record<string, unknown>;
}

/** The `tools` and `chat_template_kwargs` columns, checked (TRL also accepts `tools` as a JSON string). */
function templateInputs(obj: Record<string, unknown>, kind: 'standard' | 'conversational', src: RecordSource): TemplateInputs {
  const out: TemplateInputs = {};
  let tools = obj.tools;
  if (typeof tools === 'string') {
    try {
      tools = JSON.parse(tools);
    } catch (error) {
      throw lineError(src.file, src.line, `field 'tools' is a string but not JSON: ${(error as Error).message}`);
    }
  }
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools) || !tools.every(isObject)) {
      throw lineError(src.file, src.line, `field 'tools' must be a list of tool (function) schemas (got ${describe(tools)})`);
    }
    if (kind === 'standard') {
      if (tools.length > 0) throw lineError(src.file, src.line, "field 'tools' needs conversational records (message lists): plain strings are not rendered through the chat template");
    } else out.tools = tools;
  }
  const kwargs = obj.chat_template_kwargs;
  if (kwargs !== undefined && kwargs !== null) {
    if (!isObject(kwargs)) throw lineError(src.file, src.line, `field 'chat_template_kwargs' must be an object of template variables (got ${describe(kwargs)})`);
    out.chatTemplateKwargs = kwargs;
  }
  return out;
}

/** Two equal JSON values (messages compare as TRL's dicts do: same keys, same values). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]));
}

/**
 * TRL's `extract_prompt` for a record without `prompt`: the prompt is the longest common prefix of
 * chosen and rejected (characters, or whole messages), and both keep the rest. As in TRL, a space
 * just before the first difference goes with the completions, and when one side is a prefix of the
 * other the prompt stops one element short of the shorter side's end.
 */
export function extractPrompt<T extends string | Message[]>(chosen: T, rejected: T): { prompt: T; chosen: T; rejected: T } {
  const n = Math.min(chosen.length, rejected.length);
  let idx = n - 1;
  for (let i = 0; i < n; i++) {
    if (!sameJson(chosen[i], rejected[i])) {
      idx = i;
      // TRL checks chosen[idx - 1] == " "; Python's chosen[-1] at idx 0 is not meant: skip that case.
      if (i > 0 && chosen[i - 1] === ' ') idx -= 1;
      break;
    }
  }
  return { prompt: chosen.slice(0, idx) as T, chosen: chosen.slice(idx) as T, rejected: rejected.slice(idx) as T };
}

/**
 * A preference record from a parsed JSONL value; throws a UserError naming file, line and field.
 * Without `prompt` (TRL's implicit-prompt format), the prompt is extracted from chosen/rejected.
 */
export function parsePreferenceRecord(value: unknown, src: RecordSource, format: DataFormat = 'auto'): PreferenceRecord {
  const obj = asRecordObject(value, src);
  if (obj.prompt === undefined) {
    const kind = recordFormat(obj, format, src, 'chosen');
    const chosen = field(obj, 'chosen', kind, src, { allowEmpty: false, like: 'chosen' });
    const rejected = field(obj, 'rejected', kind, src, { allowEmpty: false, like: 'chosen' });
    const split = extractPrompt(chosen, rejected);
    return { format: kind, ...split, implicitPrompt: true, ...templateInputs(obj, kind, src), source: src };
  }
  const kind = recordFormat(obj, format, src);
  return {
    format: kind,
    prompt: field(obj, 'prompt', kind, src, { allowEmpty: true }),
    chosen: field(obj, 'chosen', kind, src, { allowEmpty: false }),
    rejected: field(obj, 'rejected', kind, src, { allowEmpty: false }),
    ...templateInputs(obj, kind, src),
    source: src,
  };
}

/**
 * TRL's maybe_convert_to_chatml for SFT: `conversations` of `{from, value}` messages become
 * `messages` of `{role, content}` (the names are kept: `human` stays `human`).
 */
function fromShareGpt(obj: Record<string, unknown>): Record<string, unknown> {
  const { conversations, ...rest } = obj;
  const messages = (conversations as unknown[]).map((m) => {
    if (!isObject(m)) return m;
    const { from, value, ...fields } = m;
    return { ...fields, ...(from !== undefined ? { role: from } : {}), ...(value !== undefined ? { content: value } : {}) };
  });
  return { ...rest, messages };
}

/**
 * An SFT record from a parsed JSONL value: `prompt`/`completion`, or (without `prompt`) TRL's
 * language-modeling `text` / `messages`. Throws a UserError naming file, line and field.
 */
export function parseSftRecord(value: unknown, src: RecordSource, format: DataFormat = 'auto'): SftRecord {
  let obj = asRecordObject(value, src);
  if (obj.prompt === undefined && obj.messages === undefined && Array.isArray(obj.conversations)) obj = fromShareGpt(obj);
  const lmKey = obj.prompt === undefined ? (['messages', 'text'] as const).find((k) => obj[k] !== undefined) : undefined;
  if (lmKey !== undefined) {
    const kind = recordFormat(obj, format, src, lmKey);
    return {
      format: kind,
      prompt: kind === 'standard' ? '' : [],
      completion: field(obj, lmKey, kind, src, { allowEmpty: false, like: lmKey }),
      languageModeling: true,
      ...templateInputs(obj, kind, src),
      source: src,
    };
  }
  const kind = recordFormat(obj, format, src);
  return {
    format: kind,
    prompt: field(obj, 'prompt', kind, src, { allowEmpty: true }),
    completion: field(obj, 'completion', kind, src, { allowEmpty: false }),
    ...templateInputs(obj, kind, src),
    source: src,
  };
}
