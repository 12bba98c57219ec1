/**
 * The kit must catch broken losses: for each deliberately wrong loss, the property it breaks
 * fails, and the correct loss it was copied from passes that same property.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { lossProperties } from '../../core/testing/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import type { PreferenceLoss } from '../../core/loss/index.ts';
import * as broken from './broken-losses.ts';
import dpo from '../../plugins/dpo/index.ts';
import minorDpo from '../../plugins/minor-dpo/index.ts';
import ipo from '../../plugins/ipo/index.ts';
import hinge from '../../plugins/hinge/index.ts';

before(async () => {
  await selectBackend('cpu');
});

/** Runs the kit property whose name contains `fragment`; returns its error, or undefined if it held. */
function runProperty(loss: PreferenceLoss<any>, fragment: string): Error | undefined {
  const property = lossProperties(loss, { numRuns: 200, seed: 42 }).find((p) => p.name.includes(fragment));
  assert.ok(property, `the kit has no property matching '${fragment}' for ${loss.name}`);
  try {
    property.run();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

const cases: Array<[string, PreferenceLoss<any>, PreferenceLoss<any>, string]> = [
  ['a loss that overflows to infinity', broken.naiveLogSigmoidDpo, dpo, 'finite'],
  ['a loss that couples the pairs of a batch', broken.batchCenteredDpo, dpo, 'per-pair independence'],
  ['a loss whose custom gradient is twice too large', broken.doubledGradientDpo, dpo, 'finite differences'],
  ['a loss that ignores the rejected reference', broken.referenceIgnoringDpo, dpo, 'adding one constant'],
  ['DPO with an offset at rho = 0', broken.offsetDpo, dpo, 'rho = 0'],
  ['MinorDPO leaking a rejected term below the reference', broken.leakyMinorDpo, minorDpo, 'rejected penalty and its gradient are exactly zero'],
  ['MinorDPO via tf.relu (zero gradient at rho_r = 0)', broken.reluMinorDpo, minorDpo, 'equal DPO'],
  ['MinorDPO over-penalizing above the reference', broken.overPenalizingMinorDpo, minorDpo, 'equal DPO'],
  ['a loss that falls below DPO', broken.underDpo, minorDpo, 'never below DPO'],
  ['IPO with the wrong target margin', broken.wrongTargetIpo, ipo, 'minimal'],
  ['a hinge with twice the margin', broken.wideHinge, hinge, 'reaches the declared margin'],
  ['a loss not monotone in the chosen log-prob', broken.squaredMarginDpo, dpo, 'policy chosen log-prob never raises'],
  ['a loss not monotone in the rejected log-prob', broken.squaredMarginDpo, dpo, 'policy rejected log-prob never lowers'],
  ['rewards scaled wrongly', broken.wrongRewardDpo, dpo, 'rewards equal beta'],
  ['a loss that reads lengths without declaring usesLengths', broken.undeclaredLengthDpo, dpo, 'ignores completion lengths'],
  ['a param without a default', broken.noDefaultDpo, dpo, 'PreferenceLoss contract'],
];

describe('the kit reports deliberately broken losses', () => {
  for (const [what, wrong, correct, fragment] of cases) {
    test(`catches ${what} (property: ${fragment})`, () => {
      assert.ok(runProperty(wrong, fragment), `the kit did not catch ${wrong.name}`);
      assert.equal(runProperty(correct, fragment), undefined, `${correct.name} should pass the same property`);
    });
  }

  test('reports an object that does not fulfil the contract as one failing property', () => {
    const properties = lossProperties({ name: 'Bad Name' } as unknown as PreferenceLoss<any>);
    assert.equal(properties.length, 1);
    assert.throws(() => properties[0]!.run(), /'name' must be a kebab-case string/);
    assert.throws(() => lossProperties(broken.noDefaultDpo)[0]!.run(), /param 'beta' has no default/);
  });
});
