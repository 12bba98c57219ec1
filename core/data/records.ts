/**
 * Validated dataset records in TRL's formats.
 *
 * Preference data (TRL's "preference" type, explicit prompt):
 * - standard:       `{"prompt": "...", "chosen": "...", "rejected": "..."}`
 * - conversational: `{"prompt": [{role, content}, ...], "chosen": [{role: "assistant", content}], "rejected": [...]}`
 *
 * SFT data (TRL's "prompt-completion" type): `{"prompt": ..., "completion": ...}`, standard or
 * conversational likewise. Extra fields are ignored (datasets often carry ids or scores).
 */
import { lineError } from '../errors.ts';

/** One chat message. */
export interface Message {
  role: string;
  content: string;
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

export interface PreferenceRecord {
  format: 'standard' | 'conversational';
  prompt: TextOrMessages;
  chosen: TextOrMessages;
  rejected: TextOrMessages;
  source: RecordSource;
}

export interface SftRecord {
  format: 'standard' | 'conversational';
  prompt: TextOrMessages;
  completion: TextOrMessages;
  source: RecordSource;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (field missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

function isMessage(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const m = value as Record<string, unknown>;
  return typeof m.role === 'string' && m.role !== '' && typeof m.content === 'string';
}

/** The record's format, from its `prompt` field, checked against the requested format. */
function recordFormat(obj: Record<string, unknown>, format: DataFormat, src: RecordSource): 'standard' | 'conversational' {
  const prompt = obj.prompt;
  const found = typeof prompt === 'string' ? 'standard' : Array.isArray(prompt) ? 'conversational' : undefined;
  if (found === undefined || (format !== 'auto' && found !== format)) {
    const expected =
      format === 'standard' ? 'a string' : format === 'conversational' ? 'a list of {role, content} messages' : 'a string or a list of {role, content} messages';
    throw lineError(src.file, src.line, `field 'prompt' must be ${expected} (got ${describe(prompt)})`);
  }
  return found;
}

/** Checks one field of a record in the given format; returns its value. */
function field(
  obj: Record<string, unknown>,
  name: string,
  format: 'standard' | 'conversational',
  src: RecordSource,
  options: { allowEmpty: boolean },
): TextOrMessages {
  const value = obj[name];
  if (format === 'standard') {
    if (typeof value !== 'string') {
      throw lineError(src.file, src.line, `field '${name}' must be a string, like 'prompt' (got ${describe(value)})`);
    }
    if (!options.allowEmpty && value === '') throw lineError(src.file, src.line, `field '${name}' must be a non-empty string`);
    return value;
  }
  if (!Array.isArray(value)) {
    throw lineError(src.file, src.line, `field '${name}' must be a list of {role, content} messages, like 'prompt' (got ${describe(value)})`);
  }
  if (!options.allowEmpty && value.length === 0) {
    throw lineError(src.file, src.line, `field '${name}' must be a non-empty list of {role, content} messages`);
  }
  value.forEach((message, i) => {
    if (!isMessage(message)) {
      throw lineError(src.file, src.line, `field '${name}[${i}]' must be a message {role: string, content: string} (got ${JSON.stringify(message)})`);
    }
  });
  return value.map(({ role, content }) => ({ role, content }));
}

function asRecordObject(value: unknown, src: RecordSource): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw lineError(src.file, src.line, `expected a JSON object (got ${describe(value)})`);
  }
  return value as Record<string, unknown>;
}

/** A preference record from a parsed JSONL value; throws a UserError naming file, line and field. */
export function parsePreferenceRecord(value: unknown, src: RecordSource, format: DataFormat = 'auto'): PreferenceRecord {
  const obj = asRecordObject(value, src);
  const kind = recordFormat(obj, format, src);
  return {
    format: kind,
    prompt: field(obj, 'prompt', kind, src, { allowEmpty: true }),
    chosen: field(obj, 'chosen', kind, src, { allowEmpty: false }),
    rejected: field(obj, 'rejected', kind, src, { allowEmpty: false }),
    source: src,
  };
}

/** An SFT record (`prompt`/`completion`) from a parsed JSONL value; throws a UserError naming file, line and field. */
export function parseSftRecord(value: unknown, src: RecordSource, format: DataFormat = 'auto'): SftRecord {
  const obj = asRecordObject(value, src);
  const kind = recordFormat(obj, format, src);
  return {
    format: kind,
    prompt: field(obj, 'prompt', kind, src, { allowEmpty: true }),
    completion: field(obj, 'completion', kind, src, { allowEmpty: false }),
    source: src,
  };
}
