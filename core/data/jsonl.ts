/** Reading JSONL (one JSON value per line) with errors that name the file and line. */
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { lineError, UserError } from '../errors.ts';
import { fileError } from '../io/fs-errors.ts';

export interface JsonlRecord {
  /** 1-based line number in the source. */
  line: number;
  value: unknown;
}

/** The display name of a source: its path, or `<stdin>`. */
export function sourceName(file: string | undefined): string {
  return file === undefined || file === '-' ? '<stdin>' : file;
}

async function* sourceLines(file: string | undefined): AsyncGenerator<string> {
  if (file === undefined || file === '-') {
    yield* createInterface({ input: process.stdin, crlfDelay: Infinity });
    return;
  }
  try {
    await access(file, constants.R_OK);
    if ((await stat(file)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (error) {
    throw fileError(file, 'read', error);
  }
  try {
    yield* createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  } catch (error) {
    throw fileError(file, 'read', error);
  }
}

/** A line of a JSONL source: its value, or the UserError of a line that is not JSON. */
export type JsonlLine = JsonlRecord | { line: number; error: UserError };

/**
 * The non-blank lines of a JSONL file (or stdin) in order, parsed one at a time; a line that is
 * not JSON comes as its error, so a caller can report or skip it in file order.
 */
export async function* streamJsonlLines(file: string | undefined): AsyncGenerator<JsonlLine> {
  const name = sourceName(file);
  let line = 0;
  for await (const text of sourceLines(file)) {
    line += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, error: lineError(name, line, `invalid JSON: ${(error as Error).message}`) };
      continue;
    }
    yield { line, value };
  }
}

/**
 * The non-blank lines of a JSONL file (or stdin for undefined / '-'), parsed one at a time as they
 * are read: memory holds one line, not the file.
 */
export async function* streamJsonl(file: string | undefined): AsyncGenerator<JsonlRecord> {
  for await (const record of streamJsonlLines(file)) {
    if ('error' in record) throw record.error;
    yield record;
  }
}

/** The records of a JSONL source in chunks of at most `size`, read as they are needed. */
export async function* jsonlChunks(file: string | undefined, size: number): AsyncGenerator<JsonlRecord[]> {
  let chunk: JsonlRecord[] = [];
  for await (const record of streamJsonl(file)) {
    chunk.push(record);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Parses every non-blank line of a JSONL file (or stdin for undefined / '-') into a list. */
export async function readJsonl(file: string | undefined): Promise<JsonlRecord[]> {
  const records: JsonlRecord[] = [];
  for await (const record of streamJsonl(file)) records.push(record);
  return records;
}

/** The record as a JSON object, or an error naming file and line. */
export function asObject(record: JsonlRecord, file: string): Record<string, unknown> {
  const { value } = record;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw lineError(file, record.line, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}
