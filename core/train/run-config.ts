/**
 * The config of a resumed run against the config it was started with. A resume may only extend
 * a run (more steps or epochs) or change how it is recorded (logging, checkpoint and evaluation
 * intervals, the eval file, the backend); any other change (loss, learning rate, batch size,
 * data, model, seed, ...) would make the steps already taken and the steps to come two different
 * runs under one name, so it is refused, naming each changed key.
 */

/** One key whose value differs between two configs. */
export interface ConfigChange {
  key: string;
  before: unknown;
  after: unknown;
}

/** Keys a resume may change freely: they decide what is recorded, not what is trained. */
const RECORDING_KEYS = new Set([
  'train.logEvery', 'train.evalEvery', 'train.saveEvery', 'train.evalBatchSize', 'data.eval', 'backend', 'output', 'plugins', '$schema',
]);

/** Keys a resume may raise (more training), but not lower. */
const EXTENDING_KEYS = new Set(['train.maxSteps', 'train.epochs']);

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): Map<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else if (Array.isArray(value) && prefix !== 'plugins') {
    value.forEach((child, i) => flatten(child, `${prefix}[${i}]`, out));
    if (value.length === 0) out.set(prefix, []);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/** Every key whose value differs (a missing key counts as undefined), in key order. */
export function configChanges(before: unknown, after: unknown): ConfigChange[] {
  const a = flatten(before, '', new Map());
  const b = flatten(after, '', new Map());
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((key) => JSON.stringify(a.get(key)) !== JSON.stringify(b.get(key)))
    .map((key) => ({ key, before: a.get(key), after: b.get(key) }));
}

/** Whether a change only extends the run or changes how it is recorded. */
export function allowedOnResume(change: ConfigChange): boolean {
  if (RECORDING_KEYS.has(change.key) || change.key.startsWith('plugins')) return true;
  if (EXTENDING_KEYS.has(change.key)) {
    return typeof change.after === 'number' && (change.before === undefined || (typeof change.before === 'number' && change.after >= change.before));
  }
  return false;
}

/** `train.learningRate 0.01 -> 0.02`. */
export function describeChange(change: ConfigChange): string {
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return `${change.key} ${show(change.before)} -> ${show(change.after)}`;
}
