/** Reading JSONL (one JSON value per line) with errors that name the file and line. */
import { constants, createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { lineError, UserError } from '../errors.ts';

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
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  yield* createInterface({ input: createReadStream(file), crlfDelay: Infinity });
}

/**
 * The non-blank lines of a JSONL file (or stdin for undefined / '-'), parsed one at a time as they
 * are read: memory holds one line, not the file.
 */
export async function* streamJsonl(file: string | undefined): AsyncGenerator<JsonlRecord> {
  const name = sourceName(file);
  let line = 0;
  for await (const text of sourceLines(file)) {
    line += 1;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw lineError(name, line, `invalid JSON: ${(error as Error).message}`);
    }
    yield { line, value };
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
