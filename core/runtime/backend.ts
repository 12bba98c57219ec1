/**
 * Backend selection for TensorFlow.js: flag, else PREFOPT_BACKEND, else auto.
 * Auto order: tensorflow (tfjs-node-gpu / tfjs-node, when the user installed one) -> webgpu (the
 * optional `webgpu` package with an adapter) -> wasm (embedded default) -> cpu (parity reference).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { registerWasmKernels } from './wasm-kernels.ts';

/** Imports an optional package by name; undefined when it is not installed. */
async function optionalImport(pkg: string): Promise<Record<string, any> | undefined> {
  try {
    return (await import(pkg)) as Record<string, any>;
  } catch {
    return undefined;
  }
}

export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendChoice = BackendName | 'auto';

const loaders: Record<BackendName, () => Promise<boolean>> = {
  async tensorflow() {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await import(pkg);
        return tf.findBackend('tensorflow') !== null;
      } catch {
        // not installed: try the next one
      }
    }
    return false;
  },
  async webgpu() {
    // Optional route (docs/gpu.md): the `webgpu` package (Dawn for Node) provides navigator.gpu,
    // @tensorflow/tfjs-backend-webgpu@4.22.0 registers the backend. Neither is a dependency.
    if (tf.findBackend('webgpu') === null) {
      const dawn = await optionalImport('webgpu');
      if (!dawn || typeof dawn.create !== 'function') return false;
      Object.assign(globalThis, dawn.globals ?? {});
      const nav = ((globalThis as any).navigator ??= {}) as Record<string, unknown>;
      if (!nav.gpu) {
        try {
          Object.defineProperty(nav, 'gpu', { value: dawn.create([]), configurable: true });
        } catch {
          return false;
        }
      }
      const adapter = await (nav.gpu as { requestAdapter(): Promise<unknown> }).requestAdapter().catch(() => null);
      if (!adapter) return false;
      if (!(await optionalImport('@tensorflow/tfjs-backend-webgpu'))) return false;
    }
    return tf.findBackend('webgpu') !== null;
  },
  async wasm() {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmKernels();
    return true;
  },
  async cpu() {
    return true;
  },
};

/** Lets another module provide a backend loader (e.g. the optional webgpu route). */
export function setBackendLoader(name: BackendName, loader: () => Promise<boolean>): void {
  loaders[name] = loader;
}

function parseChoice(value: string | undefined): BackendChoice {
  const choice = (value ?? 'auto').trim() || 'auto';
  if (choice !== 'auto' && !(BACKEND_NAMES as readonly string[]).includes(choice)) {
    throw new UserError(`unknown backend '${choice}'; expected one of: auto, ${BACKEND_NAMES.join(', ')}`);
  }
  return choice as BackendChoice;
}

async function tryBackend(name: BackendName): Promise<boolean> {
  if (!(await loaders[name]())) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Selects and initializes a backend: `requested` (a flag or config value), else the
 * PREFOPT_BACKEND environment variable, else auto. Returns the name of the backend in use.
 * An explicitly requested backend that cannot start is an error.
 */
export async function selectBackend(requested?: string): Promise<BackendName> {
  const choice = parseChoice(requested ?? process.env.PREFOPT_BACKEND);
  if (choice !== 'auto') {
    if (tf.getBackend() === choice) {
      // Already active (e.g. set with tf.setBackend): still add the kernels wasm lacks.
      if (choice === 'wasm') registerWasmKernels();
      return choice;
    }
    if (!(await tryBackend(choice))) {
      throw new UserError(`backend '${choice}' is not available here (see docs/gpu.md for tensorflow and webgpu)`);
    }
    return choice;
  }
  for (const name of BACKEND_NAMES) {
    if (await tryBackend(name)) return name;
  }
  throw new UserError('no TensorFlow.js backend could be started');
}

/** One line naming the backend in use, for a run to print (e.g. `backend: wasm (SIMD, 1 thread)`). */
export function describeBackend(): string {
  const name = tf.getBackend();
  if (name === 'wasm') {
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD';
    const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'multi-threaded' : '1 thread';
    return `backend: wasm (${simd}, ${threads})`;
  }
  if (name === 'cpu') return 'backend: cpu (pure JS, slow; parity reference)';
  if (name === 'tensorflow') return 'backend: tensorflow (libtensorflow via tfjs-node)';
  return `backend: ${name}`;
}
