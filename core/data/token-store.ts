/**
 * Compact storage for the token ids of a loaded dataset. Ids are packed into Int32Array chunks
 * (4 bytes a token, outside the JS heap, where a number[] costs 8 bytes a token inside it); once
 * more than `memoryTokens` tokens are held, full chunks go to an anonymous temporary file (unlinked
 * as soon as it is open, so it vanishes with the process) and are read back on access. A stored
 * sequence costs the heap one small object, whatever its length, so a dataset larger than memory
 * loads.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TokenizedSequence } from './tokenize.ts';

const CHUNK_TOKENS = 1 << 20;
/** Tokens kept in memory before chunks spill to disk (256 MiB of ids). */
export const DEFAULT_MEMORY_TOKENS = 1 << 26;

export class TokenStore {
  /** Chunks in memory; undefined once spilled. */
  private readonly chunks: (Int32Array | undefined)[] = [];
  /** Byte offset of each spilled chunk in the spill file. */
  private readonly spilledAt: number[] = [];
  private used = 0;
  private inMemory = 0;
  private fd: number | undefined;
  private fileBytes = 0;

  constructor(
    private readonly memoryTokens = DEFAULT_MEMORY_TOKENS,
    private readonly chunkTokens = CHUNK_TOKENS,
  ) {}

  /** Stores `ids`; the returned sequence reads them back on each access of `ids`. */
  sequence(ids: readonly number[], promptLength: number): TokenizedSequence {
    const last = this.chunks[this.chunks.length - 1];
    if (last === undefined || this.used + ids.length > last.length) {
      this.seal();
      this.chunks.push(new Int32Array(Math.max(this.chunkTokens, ids.length)));
      this.used = 0;
    }
    const chunk = this.chunks.length - 1;
    this.chunks[chunk]!.set(ids, this.used);
    const start = this.used;
    this.used += ids.length;
    this.inMemory += ids.length;
    return new StoredSequence(this, chunk, start, ids.length, promptLength);
  }

  /** The ids at `start..start+length` of chunk `chunk`, as a fresh array. */
  read(chunk: number, start: number, length: number): number[] {
    const data = this.chunks[chunk];
    if (data) return Array.from(data.subarray(start, start + length));
    const bytes = Buffer.alloc(length * 4);
    readSync(this.fd!, bytes, 0, bytes.length, this.spilledAt[chunk]! + start * 4);
    return Array.from(new Int32Array(bytes.buffer, bytes.byteOffset, length));
  }

  /** Tokens held in memory and on disk. */
  get stats(): { memoryTokens: number; spilledBytes: number } {
    return { memoryTokens: this.inMemory, spilledBytes: this.fileBytes };
  }

  /** The last chunk is full: spill it when memory holds more than allowed. */
  private seal(): void {
    const last = this.chunks.length - 1;
    const data = this.chunks[last];
    if (!data || this.inMemory <= this.memoryTokens) return;
    if (this.fd === undefined) {
      const dir = mkdtempSync(path.join(tmpdir(), 'prefopt-tokens-'));
      const file = path.join(dir, 'ids.bin');
      this.fd = openSync(file, 'w+');
      unlinkSync(file);
      rmSync(dir, { recursive: true });
      const fd = this.fd;
      process.once('exit', () => closeSync(fd));
    }
    const bytes = new Uint8Array(data.buffer, 0, this.used * 4);
    writeSync(this.fd, bytes, 0, bytes.length, this.fileBytes);
    this.spilledAt[last] = this.fileBytes;
    this.fileBytes += bytes.length;
    this.inMemory -= this.used;
    this.chunks[last] = undefined;
  }
}

/** A sequence whose ids live in a TokenStore. */
class StoredSequence implements TokenizedSequence {
  constructor(
    private readonly store: TokenStore,
    private readonly chunk: number,
    private readonly start: number,
    private readonly length: number,
    readonly promptLength: number,
  ) {}

  get ids(): number[] {
    return this.store.read(this.chunk, this.start, this.length);
  }
}
