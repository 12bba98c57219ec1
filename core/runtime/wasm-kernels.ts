/**
 * Kernels the wasm backend lacks or runs slowly in tfjs 4.22:
 *
 * - `UnsortedSegmentSum`, the gradient of `gather` (embedding lookups); without it backprop
 *   through an embedding throws on wasm. A plain JS loop over the wasm heap: it touches each
 *   gradient element once, far cheaper than the one-hot matMul alternative for real vocabularies.
 * - `Slice` and `Unpack` (tf.slice, tf.unstack): tfjs's wasm kernels read the whole input through
 *   `readSync`, which copies it out of the wasm heap, once per slice; unstacking a [64, 128, 64]
 *   tensor copied 64 x 2 MB (a quarter of a DPO step's time, bench/dpo-profile.ts). These copy only
 *   the slice, straight between views of the heap, for contiguous slices (every unstack along axis
 *   0); other slices go to tfjs's own kernels.
 * - `Identity` (tf.clone, and every tensor the gradient tape saves for the backward pass) and
 *   `Cast` to the same dtype (in many gradients): tfjs's wasm kernels copy the data; tensors are
 *   immutable, so these share the buffer (reference-counted, as the cpu and webgl backends and
 *   wasm's own Reshape do). A training step no longer holds a second copy of everything it saves.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  incRef(dataId: unknown): void;
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array | Int32Array): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Copies elements [start, start + size) of `x` into a new tensor of `shape` (views taken after allocating). */
function copyRange(backend: WasmBackendLike, x: tf.TensorInfo, start: number, size: number, shape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(shape, x.dtype);
  backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(start, start + size));
  return out;
}

/** Flat offset and size of a slice when it is one contiguous block of x (row-major), else undefined. */
function contiguousRange(shape: number[], begin: number[], size: number[]): { start: number; length: number } | undefined {
  // Contiguous when every axis after the first one that is cut is taken whole.
  let cut = false;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (cut && size[axis] !== 1) return undefined;
    if (size[axis] !== shape[axis]) cut = true;
  }
  let start = 0;
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    start += begin[axis]! * stride;
    stride *= shape[axis]!;
  }
  return { start, length: size.reduce((a, b) => a * b, 1) };
}

function sliceKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    if (x.dtype === 'string') return original(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    const range = contiguousRange(x.shape, begin, size);
    if (!range) return original(args);
    return copyRange(args.backend as unknown as WasmBackendLike, x, range.start, range.length, size);
  };
}

function unpackKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const value = args.inputs.value as tf.TensorInfo;
    const axis = (args.attrs as unknown as { axis: number }).axis;
    if (value.dtype === 'string' || (axis !== 0 && axis !== -value.shape.length)) return original(args);
    const [count, ...rest] = value.shape;
    const length = rest.reduce((a, b) => a * b, 1);
    const backend = args.backend as unknown as WasmBackendLike;
    return Array.from({ length: count! }, (_, i) => copyRange(backend, value, i * length, length, rest));
  };
}

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as unknown as { numSegments: number }).numSegments;
  const wasm = backend as unknown as WasmBackendLike;
  const values = wasm.readSync(x.dataId);
  const ids = wasm.readSync(segmentIds.dataId);
  const rows = x.shape[0] ?? 1;
  const inner = rows === 0 ? 0 : values.length / rows;
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let r = 0; r < rows; r++) {
    const segment = ids[r]!;
    if (segment < 0 || segment >= numSegments) continue; // as TF: out-of-range ids are dropped
    const src = r * inner;
    const dst = segment * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += values[src + j]!;
  }
  return wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype, undefined, out);
}

/** A kernel that returns its input `x` itself, sharing the buffer, where `same(args)` holds. */
function sharing(same: (args: KernelArgs, x: tf.TensorInfo) => boolean): (original: tf.KernelFunc) => tf.KernelFunc {
  return (original) => (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string' || !same(args, x)) return original(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Replaces the wasm kernel `name` with `make(original)`. */
function override(name: string, make: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(original.kernelFunc) });
}

let registered = false;

/** Registers the added and faster wasm kernels once (safe to call repeatedly). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum });
  }
  override('Slice', sliceKernel);
  override('Unpack', unpackKernel);
  override('Identity', sharing(() => true));
  override('Cast', sharing((args, x) => (args.attrs as unknown as { dtype: tf.DataType }).dtype === x.dtype));
}
