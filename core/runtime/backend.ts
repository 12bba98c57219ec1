/**
 * Backend selection for TensorFlow.js: flag, else PREFOPT_BACKEND, else auto.
 * Auto order: tensorflow (tfjs-node-gpu / tfjs-node, when the user installed one) -> webgpu (the
 * optional `webgpu` package with an adapter) -> wasm (embedded default) -> cpu (parity reference).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';

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
    return false; // registered by core/runtime/webgpu.ts when that route is available
  },
  async wasm() {
    await import('@tensorflow/tfjs-backend-wasm');
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
    if (tf.getBackend() === choice) return choice;
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
