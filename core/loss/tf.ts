/**
 * The one TensorFlow.js instance prefopt runs on. Plugins import `tf` from here (built-ins) or
 * from 'prefopt' (third parties) rather than '@tensorflow/tfjs', so that their tensors live in
 * prefopt's engine and a second copy of tfjs is never loaded beside it.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
