/**
 * prefopt's public API: what a plugin author or an embedding program imports (`from 'prefopt'`).
 * `tf` is the very TensorFlow.js instance prefopt runs on; plugins must use it rather than their
 * own copy, so that their tensors live in the same engine.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export * from './loss/index.ts';
export { UserError } from './errors.ts';
export { selectBackend, BACKEND_NAMES, type BackendName } from './runtime/backend.ts';
