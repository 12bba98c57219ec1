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

/** Parses every non-blank line of a JSONL file (or stdin for undefined / '-'). */
export async function readJsonl(file: string | undefined): Promise<JsonlRecord[]> {
  const name = sourceName(file);
  const records: JsonlRecord[] = [];
  let line = 0;
  for await (const text of sourceLines(file)) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      records.push({ line, value: JSON.parse(text) });
    } catch (error) {
      throw lineError(name, line, `invalid JSON: ${(error as Error).message}`);
    }
  }
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
