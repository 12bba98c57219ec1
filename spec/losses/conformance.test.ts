/** Every built-in loss of registry.json passes the property-test kit under its default params. */
import { createLossRegistry, type LossParams } from '../../core/loss/index.ts';
import { testLoss } from '../../core/testing/index.ts';

const registry = await createLossRegistry();

/** Extra param sets where a loss has a switch that changes its formula. */
const EXTRA_PARAMS: Record<string, LossParams[]> = {
  dpo: [{ beta: 0.5, labelSmoothing: 0.2 }],
  'minor-dpo': [{ beta: 1 }],
  ipo: [{ lengthNormalize: false }, { beta: 0.5 }],
  hinge: [{ beta: 0.5 }],
};

for (const loss of registry.list()) {
  testLoss(loss, { params: [{}, ...(EXTRA_PARAMS[loss.name] ?? [])] });
}
