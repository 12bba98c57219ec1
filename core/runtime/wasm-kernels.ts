/**
 * Kernels the wasm backend lacks in tfjs 4.22. `UnsortedSegmentSum` is the gradient of `gather`
 * (embedding lookups); without it backprop through an embedding throws on wasm. The kernel here
 * is a plain JS loop over the wasm heap: it touches each gradient element once, which is far
 * cheaper than the one-hot matMul alternative for real vocabularies.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array | Int32Array): tf.TensorInfo;
}

let registered = false;

/** Registers the missing wasm kernels once (safe to call repeatedly). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
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
    },
  });
}
