/**
 * The one door into a loss plugin: `callLoss` runs `compute`, turns the plugin's own failures into
 * errors naming it, and checks what it returned. `throwOnNaN` names the loss and the pair of a NaN.
 */
import { tf } from './tf.ts';
import type { PairLogps, PairLossOutput, PreferenceLoss } from './contract.ts';
import { METRIC_NAMES } from './metrics.ts';
import { UserError } from '../errors.ts';

/** A loss plugin misbehaved (threw, returned tensors of the wrong shape, produced NaN). */
export class PluginError extends UserError {
  override name = 'PluginError';
}

/** The inputs a loss may see: a reference-free loss gets no reference fields at all. */
function inputsFor(loss: PreferenceLoss<any>, inputs: PairLogps): PairLogps {
  if (loss.requiresReference) return inputs;
  const { refChosen: _c, refRejected: _r, ...rest } = inputs;
  return rest;
}

function shapeProblem(tensor: unknown, batch: number): string | undefined {
  if (tensor instanceof tf.Tensor && tensor.rank === 1 && tensor.shape[0] === batch) return undefined;
  const got = tensor instanceof tf.Tensor ? `shape [${tensor.shape.join(', ')}]` : typeof tensor;
  return `${got}; expected a tensor of shape [${batch}]`;
}

/**
 * `loss.compute(inputs, params)`, with the plugin's own failures turned into errors naming the
 * plugin, the output checked to hold three tensors of shape [B] (and any metrics of shape [B]),
 * and the reference fields withheld from a reference-free loss.
 */
export function callLoss(loss: PreferenceLoss<any>, inputs: PairLogps, params: object): PairLossOutput {
  let output: PairLossOutput;
  try {
    output = loss.compute(inputsFor(loss, inputs), params);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new PluginError(`loss '${loss.name}' threw: ${(error as Error).message}`, { cause: error });
  }
  const batch = inputs.policyChosen.shape[0];
  for (const key of ['losses', 'chosenRewards', 'rejectedRewards'] as const) {
    const problem = shapeProblem(output?.[key], batch);
    if (problem) throw new PluginError(`loss '${loss.name}' returned '${key}' with ${problem}`);
  }
  for (const [name, tensor] of Object.entries(output.metrics ?? {})) {
    if ((METRIC_NAMES as readonly string[]).includes(name)) {
      throw new PluginError(`loss '${loss.name}' returned metric '${name}', a name prefopt logs itself; choose another`);
    }
    const problem = shapeProblem(tensor, batch);
    if (problem) throw new PluginError(`loss '${loss.name}' returned metric '${name}' with ${problem}`);
  }
  return output;
}

/**
 * Throws a PluginError naming the loss, the field and the pair of the first NaN in `values`
 * (`pairName` says how to name the pair at an index: by default 'pair N', 1-based).
 */
export function throwOnNaN(loss: PreferenceLoss<any>, values: Record<string, ArrayLike<number>>, pairName = (index: number) => `pair ${index + 1}`): void {
  for (const [key, column] of Object.entries(values)) {
    const pair = Array.prototype.findIndex.call(column, (value: number) => Number.isNaN(value));
    if (pair >= 0) throw new PluginError(`loss '${loss.name}' produced NaN in '${key}' for ${pairName(pair)}`);
  }
}

/** Reads a loss's output tensors and throws on the first NaN, naming the loss and the pair (as `pairName` names it). */
export function throwOnNaNOutput(loss: PreferenceLoss<any>, output: PairLossOutput, pairName?: (index: number) => string): void {
  throwOnNaN(
    loss,
    {
      losses: output.losses.dataSync(),
      chosenRewards: output.chosenRewards.dataSync(),
      rejectedRewards: output.rejectedRewards.dataSync(),
    },
    pairName,
  );
}
