/** The loss a validated config selects: one registered loss with its params, or a weighted mixture. */
import { createMixture, type LossParams, type LossRegistry, type PreferenceLoss, resolveParams } from '../loss/index.ts';
import type { PrefoptConfig } from './types.ts';

/** The loss and params to train with (a list becomes a mixture loss with empty params). */
export function configuredLoss(loss: PrefoptConfig['loss'], registry: LossRegistry): { loss: PreferenceLoss<any>; params: LossParams } {
  if (Array.isArray(loss)) return { loss: createMixture(registry, loss), params: {} };
  const { name, ...params } = loss;
  const selected = registry.get(name);
  return { loss: selected, params: resolveParams(selected, params) };
}
