/**
 * Loss throughput: pairs per second of each registered loss's forward + backward (gradient with
 * respect to the policy log-probs) at batch 1k and 64k on the wasm and cpu backends, and the cost
 * of dispatching through the registry against calling the plugin directly.
 *
 *   npm run bench -- losses          (or: npx tsx bench/losses.ts)
 */
import * as tf from '@tensorflow/tfjs';
import { Bench } from 'tinybench';
import { callLoss, createLossRegistry, resolveParams, type PairLogps, type PreferenceLoss } from '../core/loss/index.ts';
import { selectBackend } from '../core/runtime/backend.ts';
import dpo from '../plugins/dpo/index.ts';
import { writeResults } from './_results.ts';

const BATCHES = [1_000, 64_000];
const BACKENDS = ['wasm', 'cpu'];

/** Independent random columns (one seed each: equal seeds would make every margin 0 and every sort a tie). */
function randomInputs(batch: number): PairLogps {
  const logps = (seed: number) => tf.randomUniform([batch], -200, -1, 'float32', seed) as tf.Tensor1D;
  const lengths = (seed: number) => tf.tidy(() => tf.randomUniform([batch], 1, 200, 'int32', seed).toFloat() as tf.Tensor1D);
  return {
    policyChosen: logps(1), policyRejected: logps(2), refChosen: logps(3), refRejected: logps(4),
    chosenLength: lengths(5), rejectedLength: lengths(6),
  };
}

/**
 * One forward + backward of the mean loss, read back so the work really happens. A loss that
 * ignores one input (sft ignores the rejected answer) has no gradient there, which is allowed.
 */
function step(loss: PreferenceLoss<any>, params: object, inputs: PairLogps): void {
  tf.tidy(() => {
    const xs = [inputs.policyChosen, inputs.policyRejected];
    const { value, grads } = tf.engine().gradients(() => tf.mean(callLoss(loss, inputs, params).losses), xs, undefined, true);
    value.dataSync();
    for (const grad of grads) grad?.dataSync();
  });
}

export async function run(): Promise<void> {
  const registry = await createLossRegistry();
  const rows: Array<Record<string, string | number>> = [];
  for (const backend of BACKENDS) {
    await selectBackend(backend);
    for (const batch of BATCHES) {
      const inputs = randomInputs(batch);
      const bench = new Bench({ time: 300, iterations: 3, warmup: true });
      for (const loss of registry.list()) {
        const params = resolveParams(loss, {});
        bench.add(loss.name, () => step(loss, params, inputs));
      }
      await bench.run();
      for (const task of bench.tasks) {
        const result = task.result as { state: string; latency?: { mean: number }; error?: Error };
        if (result.state !== 'completed' || !result.latency) throw new Error(`${task.name}: ${result.state}: ${String(result.error).slice(0, 500)}`);
        rows.push({ backend, batch, loss: task.name, 'ms/step': +result.latency.mean.toFixed(3), 'pairs/s': Math.round((batch * 1000) / result.latency.mean) });
      }
      Object.values(inputs).forEach((t: tf.Tensor) => t.dispose());
    }
  }
  console.table(rows);

  // Registry dispatch: a lookup by alias plus params resolution on every call, against a direct
  // call, and the lookup + resolution alone (what the registry adds to each step).
  await selectBackend('wasm');
  const inputs = randomInputs(1_000);
  const params = resolveParams(dpo, {});
  const dispatch = new Bench({ time: 1000, warmup: true });
  dispatch.add('direct dpo step', () => step(dpo, params, inputs));
  dispatch.add('registry.get("sigmoid") + resolveParams + step', () => {
    const loss = registry.get('sigmoid');
    step(loss, resolveParams(loss, {}), inputs);
  });
  dispatch.add('registry.get("sigmoid") + resolveParams only', () => {
    resolveParams(registry.get('sigmoid'), {});
  });
  await dispatch.run();
  const [direct, viaRegistry, lookup] = dispatch.tasks.map((task) => (task.result as { latency: { mean: number } }).latency.mean);
  const overhead = {
    batch: 1_000,
    'direct ms': +direct!.toFixed(4),
    'registry ms': +viaRegistry!.toFixed(4),
    'lookup+params us': +(lookup! * 1000).toFixed(2),
    'lookup share of a step': `${((lookup! / direct!) * 100).toFixed(2)}%`,
  };
  console.table([overhead]);
  console.log(`results: ${await writeResults('losses', [...rows, { dispatch: overhead }])}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
