/**
 * A hand-written reader and writer for the safetensors format (Hugging Face's weight files):
 *
 *   [8 bytes: N, little-endian u64] [N bytes: JSON header] [data]
 *
 * The header maps each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative
 * to the start of the data) plus an optional `__metadata__` object of strings. The reader checks
 * everything a damaged or hostile file could get wrong and reports it as a UserError naming the
 * file: truncation, absurd header sizes, invalid JSON, unknown dtypes, byte counts that disagree
 * with shapes, and offsets that overlap, leave gaps or run past the data. F32, F16 and BF16 tensors
 * are decoded to Float32Array; integer dtypes are decoded to Int32Array when they fit.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';

/** Header larger than this is rejected before it is read (real headers are a few hundred KB). */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export type SafetensorsDtype = keyof typeof DTYPE_BYTES;

/** One decoded tensor: float dtypes become Float32Array, integer and bool dtypes Int32Array. */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** Reads and validates a safetensors file. */
export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UserError(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** Parses safetensors bytes; `name` is used in error messages. */
export function parseSafetensors(bytes: Uint8Array, name = '<safetensors>'): SafetensorsFile {
  const fail = (message: string): never => {
    throw new UserError(`${name}: invalid safetensors file: ${message}`);
  };
  if (bytes.byteLength < 8) fail(`truncated: ${bytes.byteLength} bytes, expected at least the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const n = Number(headerLength);
  if (8 + n > bytes.byteLength) fail(`header length ${n} runs past the end of the file (${bytes.byteLength} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header must be a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    entries.push(parseEntry(key, value, fail));
  }
  // Offsets must tile the data exactly: sorted by start, no overlap, no gap, ending at the data end.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of entries) {
    if (entry.begin < cursor) fail(`tensor '${entry.name}' overlaps the previous tensor (offset ${entry.begin} < ${cursor})`);
    if (entry.begin > cursor) fail(`gap in the data before tensor '${entry.name}' (offset ${entry.begin}, expected ${cursor})`);
    if (entry.end > dataLength) fail(`tensor '${entry.name}' runs past the end of the data (${entry.end} > ${dataLength})`);
    cursor = entry.end;
  }
  if (cursor !== dataLength) fail(`data has ${dataLength - cursor} trailing bytes not claimed by any tensor`);
  const tensors = new Map<string, SafeTensor>();
  for (const entry of entries) {
    const raw = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data: decode(entry.dtype, raw) });
  }
  return { tensors, metadata };
}

function parseEntry(name: string, value: unknown, fail: (message: string) => never): Entry {
  const where = `tensor '${name}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where}: expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) {
    fail(`${where}: unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!Array.isArray(shape) || !shape.every(isIndex)) fail(`${where}: shape must be an array of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    fail(`${where}: data_offsets must be [begin, end] with non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets end ${end} is before begin ${begin}`);
  let elements = 1;
  for (const d of shape as number[]) {
    elements *= d;
    if (elements > Number.MAX_SAFE_INTEGER) fail(`${where}: shape ${JSON.stringify(shape)} is too large`);
  }
  const expected = elements * DTYPE_BYTES[dtype as string]!;
  if (expected !== end - begin) {
    fail(`${where}: shape ${JSON.stringify(shape)} of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`);
  }
  return { name, dtype: dtype as string, shape: shape as number[], begin, end };
}

/** IEEE half -> float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const HALF_TABLE = (() => {
  const table = new Float32Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = halfToFloat(i);
  return table;
})();

function decode(dtype: string, raw: Uint8Array): Float32Array | Int32Array {
  // Copy into an aligned buffer first: the data section need not be aligned to the element size.
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  const view = new DataView(aligned.buffer);
  switch (dtype) {
    case 'F32':
      return littleEndianCheck(new Float32Array(aligned.buffer));
    case 'F64':
      return Float32Array.from({ length: aligned.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
    case 'F16': {
      const out = new Float32Array(aligned.byteLength / 2);
      for (let i = 0; i < out.length; i++) out[i] = HALF_TABLE[view.getUint16(i * 2, true)]!;
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(aligned.byteLength / 2);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64':
      return Int32Array.from({ length: aligned.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
    case 'I32':
      return new Int32Array(aligned.buffer);
    case 'I16':
      return Int32Array.from({ length: aligned.byteLength / 2 }, (_, i) => view.getInt16(i * 2, true));
    case 'I8':
      return Int32Array.from(new Int8Array(aligned.buffer));
    default: // U8, BOOL
      return Int32Array.from(aligned);
  }
}

function littleEndianCheck(values: Float32Array): Float32Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian hosts are not supported');
  return values;
}

/** The float dtypes the writer can store. */
export type SaveDtype = 'F32' | 'BF16' | 'F16';

/** float32 -> bfloat16 bits, rounding to nearest even (as torch's .to(torch.bfloat16)); NaN stays NaN. */
function toBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** float32 -> IEEE half bits, rounding to nearest even; overflow becomes infinity. */
function toFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const x = bits[i]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rest = m & ((1 << shift) - 1);
      let h = m >>> shift;
      if (rest > half || (rest === half && (h & 1))) h += 1;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rest = mant & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h += 1; // may carry into the exponent: still correct
      out[i] = sign | h;
    }
  }
  return out;
}

function encode(data: Float32Array, dtype: SaveDtype): Uint8Array {
  const encoded = dtype === 'BF16' ? toBfloat16(data) : dtype === 'F16' ? toFloat16(data) : data;
  return new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
}

/**
 * Encodes float32 tensors in name order as `dtype` (F32 by default; BF16 and F16 round to nearest
 * even); the header is padded to 8 bytes.
 */
export function serializeSafetensors(
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
  dtype: SaveDtype = 'F32',
): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const encoded = new Map<string, Uint8Array>();
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`tensor '${name}': shape ${JSON.stringify(shape)} does not match ${data.length} values`);
    const bytes = encode(data, dtype);
    encoded.set(name, bytes);
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let cursor = 8 + headerBytes.byteLength;
  for (const name of names) {
    const bytes = encoded.get(name)!;
    out.set(bytes, cursor);
    cursor += bytes.byteLength;
  }
  return out;
}

/** Writes float32 tensors to `file` as safetensors (F32 unless `dtype` says otherwise), atomically. */
export async function writeSafetensors(
  file: string,
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
  dtype: SaveDtype = 'F32',
): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata, dtype));
}
