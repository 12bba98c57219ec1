/** The safetensors reader/writer: round trips, every rejection, and a fast-check fuzz. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { UserError } from '../../core/errors.ts';
import { MAX_HEADER_BYTES, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from '../../core/model/safetensors.ts';
import { encodeHalf, rawSafetensors, withTempDir } from './helpers.ts';

function header(json: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const bytes = new TextEncoder().encode(typeof json === 'string' ? json : JSON.stringify(json));
  const out = new Uint8Array(8 + bytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(bytes.length), true);
  out.set(bytes, 8);
  out.set(data, 8 + bytes.length);
  return out;
}

const sample = () =>
  new Map([
    ['a.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -0]) }],
    ['b', { shape: [0], data: new Float32Array(0) }],
    ['c.bias', { shape: [1], data: Float32Array.from([Math.PI]) }],
  ]);

test('F32 tensors round-trip bit-exactly through a file, with metadata', async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/x.safetensors`;
    await writeSafetensors(file, sample(), { format: 'pt' });
    const { tensors, metadata } = await readSafetensors(file);
    assert.deepEqual(metadata, { format: 'pt' });
    for (const [name, { shape, data }] of sample()) {
      const got = tensors.get(name)!;
      assert.equal(got.dtype, 'F32');
      assert.deepEqual(got.shape, shape);
      assert.deepEqual(new Uint8Array(got.data.buffer), new Uint8Array(data.buffer), name);
    }
  });
});

test('the header is padded so the data starts at a multiple of 8 bytes', () => {
  const bytes = serializeSafetensors(sample());
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
});

test('F16 and BF16 decode to the nearest float32 values', () => {
  const values = Float32Array.from([0, 1, -2.5, 0.1, 65504, 1e-6, -3.140625]);
  for (const dtype of ['F16', 'BF16'] as const) {
    const file = rawSafetensors([{ name: 'x', dtype, shape: [values.length], bytes: encodeHalf(values, dtype) }]);
    const got = parseSafetensors(file).tensors.get('x')!.data;
    values.forEach((v, i) => {
      const tolerance = dtype === 'F16' ? Math.max(Math.abs(v) * 2 ** -11, 2 ** -24) : Math.abs(v) * 2 ** -8;
      assert.ok(Math.abs(got[i]! - v) <= tolerance, `${dtype} ${v} -> ${got[i]}`);
    });
  }
});

/** Decodes the 16-bit pattern `bits` of `dtype` through the reader. */
function decode16(bits: number, dtype: 'F16' | 'BF16'): number {
  const bytes = new Uint8Array(2);
  new DataView(bytes.buffer).setUint16(0, bits, true);
  return parseSafetensors(rawSafetensors([{ name: 'x', dtype, shape: [1], bytes }])).tensors.get('x')!.data[0]!;
}

test('property: the BF16 and F16 writer stores the nearest representable value (no neighbour is closer), and exact values exactly', () => {
  for (const [dtype, max] of [['BF16', 3e38], ['F16', 65000]] as const) {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true, min: Math.fround(-max), max: Math.fround(max) }), (v) => {
        const file = serializeSafetensors(new Map([['x', { shape: [1], data: Float32Array.from([v]) }]]), {}, dtype);
        const { tensors } = parseSafetensors(file);
        const got = tensors.get('x')!;
        assert.equal(got.dtype, dtype);
        const start = file.byteLength - 2;
        const bits = new DataView(file.buffer).getUint16(start, true);
        const error = Math.abs(got.data[0]! - Math.fround(v));
        for (const neighbour of [bits - 1, bits + 1]) {
          if ((neighbour & 0x7fff) > (dtype === 'F16' ? 0x7bff : 0x7f7f) || neighbour < 0) continue;
          assert.ok(error <= Math.abs(decode16(neighbour, dtype) - Math.fround(v)), `${dtype} ${v} -> ${got.data[0]}`);
        }
        assert.equal(decode16(bits, dtype), got.data[0]);
      }),
      { seed: 7, numRuns: 300 },
    );
    const exact = Float32Array.from([0, 1, -2.5, 0.5, -0.125, 3]);
    assert.deepEqual(parseSafetensors(serializeSafetensors(new Map([['x', { shape: [6], data: exact }]]), {}, dtype)).tensors.get('x')!.data, exact);
  }
});

const REJECTIONS: Array<[string, Uint8Array, RegExp]> = [
  ['a file shorter than 8 bytes', new Uint8Array(5), /truncated/],
  ['a header length past the end of the file', (() => { const b = header({}); new DataView(b.buffer).setBigUint64(0, 1000n, true); return b; })(), /runs past the end/],
  ['a header length over the cap', (() => { const b = header({}); new DataView(b.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES) + 1n, true); return b; })(), /exceeds/],
  ['an absurd u64 header length', (() => { const b = header({}); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /exceeds/],
  ['invalid JSON', header('{"a": '), /not valid UTF-8 JSON/],
  ['a JSON array header', header([]), /must be a JSON object/],
  ['an unknown dtype', header({ x: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unsupported dtype "F8"/],
  ['a shape that disagrees with the byte count', header({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets span 8/],
  ['offsets past the data', header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /runs past the end of the data/],
  ['overlapping tensors', header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /overlaps/],
  ['a gap between tensors', header({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /gap in the data/],
  ['trailing bytes', header({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /trailing bytes/],
  ['negative offsets', header({ x: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }), /data_offsets must be/],
  ['end before begin', header({ x: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)), /before begin/],
  ['a non-string metadata value', header({ __metadata__: { a: 1 } }), /__metadata__\.a must be a string/],
  ['a fractional shape', header({ x: { dtype: 'U8', shape: [1.5], data_offsets: [0, 1] } }, new Uint8Array(1)), /shape must be/],
  ['a shape too large to count', header({ x: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 4] } }, new Uint8Array(4)), /too large/],
];

for (const [what, bytes, message] of REJECTIONS) {
  test(`rejects ${what} with a UserError naming the file`, () => {
    assert.throws(() => parseSafetensors(bytes, 'w.safetensors'), (error: unknown) => {
      assert.ok(error instanceof UserError, `expected a UserError, got ${error}`);
      assert.match(error.message, /^w\.safetensors: invalid safetensors file: /);
      assert.match(error.message, message);
      return true;
    });
  });
}

test('a missing file is a UserError naming it', async () => {
  await assert.rejects(readSafetensors('/nonexistent/m.safetensors'), (e: unknown) => e instanceof UserError && /m\.safetensors: cannot read/.test(e.message));
});

test('property: any mutation of a valid file either parses or throws a UserError (never another error, no huge allocation)', () => {
  const valid = serializeSafetensors(sample(), { format: 'pt' });
  const headerLength = Number(new DataView(valid.buffer).getBigUint64(0, true));
  const mutation = fc.oneof(
    // flip bytes anywhere (weighted towards the length and header)
    fc.array(fc.tuple(fc.nat({ max: 8 + headerLength + 16 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => (b: Uint8Array) => {
      const out = b.slice();
      for (const [i, v] of flips) if (i < out.length) out[i] = v;
      return out;
    }),
    // truncate or extend
    fc.nat({ max: valid.length + 16 }).map((n) => (b: Uint8Array) => {
      const out = new Uint8Array(n);
      out.set(b.subarray(0, Math.min(n, b.length)));
      return out;
    }),
    // replace the header with arbitrary JSON
    fc.jsonValue({ maxDepth: 3 }).map((json) => () => header(json, new Uint8Array(16))),
    // a plausible header with random entries
    fc.dictionary(
      fc.string({ maxLength: 4 }),
      fc.record({
        dtype: fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'X'),
        shape: fc.array(fc.oneof(fc.nat({ max: 8 }), fc.constant(2 ** 40), fc.integer({ min: -3, max: -1 })), { maxLength: 4 }),
        data_offsets: fc.tuple(fc.nat({ max: 64 }), fc.nat({ max: 64 })),
      }),
      { maxKeys: 4 },
    ).map((json) => () => header(json, new Uint8Array(32))),
  );
  fc.assert(
    fc.property(mutation, (mutate) => {
      const bytes = mutate(valid);
      try {
        const parsed = parseSafetensors(bytes, 'fuzz');
        let total = 0;
        for (const t of parsed.tensors.values()) total += t.data.length;
        assert.ok(total <= bytes.length, 'decoded values never outnumber the file bytes');
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
      }
    }),
    { numRuns: 3000 },
  );
});
