/**
 * The kit on a third-party plugin (spec/testing/third-party/r-dpo.ts): the correct R-DPO passes
 * every property on wasm and cpu; the same plugin with the sign of its length term flipped fails
 * the float64 reference check (and its own length property), with the seed to replay it. Also:
 * the seed is fixed by default and set by PREFOPT_KIT_SEED or the option, every case respects a
 * declared domain, and not-applicable properties carry their reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { betaRewards, logRatios, logSigmoid, tf, type PreferenceLoss } from '../../core/index.ts';
import { DEFAULT_SEED, lossProperties, resolveSeed, testLoss } from '../../core/testing/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import dpo from '../../plugins/dpo/index.ts';
import rdpo, { type RdpoParams } from './third-party/r-dpo.ts';

testLoss(rdpo, { params: [{}, { alpha: 0.5, beta: 0.3 }], numRuns: 40 });

/** R-DPO with `+ alpha * (L_c - L_r)` where the formula says `-`: one sign flipped. */
const flipped: PreferenceLoss<RdpoParams> = {
  ...rdpo,
  name: 'r-dpo-flipped',
  compute(inputs, { beta, alpha }) {
    const rho = logRatios(inputs);
    const lengthGap = tf.mul(tf.sub(inputs.chosenLength, inputs.rejectedLength), alpha);
    const z = tf.add(tf.mul(tf.sub(rho.chosen, rho.rejected), beta), lengthGap);
    return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

/** The error of the kit property whose name contains `fragment`, or undefined when it holds. */
function failure(loss: PreferenceLoss<any>, fragment: string, options = {}): Error | undefined {
  const property = lossProperties(loss, { numRuns: 40, ...options }).find((p) => p.name.includes(fragment));
  assert.ok(property, `no kit property matching '${fragment}'`);
  try {
    property.run();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('the kit on a flipped sign', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    test(`on ${backend}: R-DPO with its length term's sign flipped fails the float64 reference check, printing the seed`, async () => {
      await selectBackend(backend);
      const error = failure(flipped, 'float64 reference', { seed: 777 });
      assert.ok(error, 'the flipped sign was not caught');
      assert.match(error.message, /compute\(\) gives .*, the float64 reference/);
      assert.match(error.message, /kit seed 777 \(replay: PREFOPT_KIT_SEED=777, or testLoss\(loss, \{ seed: 777 \}\)\)/);
      assert.equal(failure(rdpo, 'float64 reference'), undefined);
    });
  }

  test("the flipped copy also fails the plugin's own property (a longer chosen answer never lowers the loss)", async () => {
    await selectBackend('cpu');
    assert.ok(failure(flipped, 'longer chosen answer'));
  });
});

describe('seed', () => {
  test('the default seed is fixed; PREFOPT_KIT_SEED overrides it, the option overrides both; random draws one', () => {
    assert.equal(resolveSeed(undefined, {}), DEFAULT_SEED);
    assert.equal(resolveSeed(undefined, { PREFOPT_KIT_SEED: '7' }), 7);
    assert.equal(resolveSeed(3, { PREFOPT_KIT_SEED: '7' }), 3);
    assert.ok(Number.isInteger(resolveSeed('random', {})));
    assert.ok(Number.isInteger(resolveSeed(undefined, { PREFOPT_KIT_SEED: 'random' })));
    assert.throws(() => resolveSeed(undefined, { PREFOPT_KIT_SEED: 'seven' }), /PREFOPT_KIT_SEED must be an integer or 'random'/);
  });
});

describe('domain', () => {
  /** DPO that refuses any log-prob that is not strictly below 0 (as a loss with log(1 - p) would fail there). */
  const strictlyNegative = (domain: PreferenceLoss['domain']): PreferenceLoss<any> => ({
    ...dpo,
    name: 'strictly-negative-dpo',
    ...(domain ? { domain } : {}),
    compute(inputs, params) {
      const top = tf.max(tf.stack([inputs.policyChosen, inputs.policyRejected, inputs.refChosen!, inputs.refRejected!])).dataSync()[0]!;
      if (!(top < 0)) throw new Error(`log-prob ${top} is not below 0`);
      return dpo.compute(inputs, params);
    },
  });

  test('with log-probs declared strictly below 0, no generated case and no finite-difference probe reaches 0', async () => {
    await selectBackend('cpu');
    const loss = strictlyNegative({ logp: { max: 0, maxExclusive: true } });
    for (const property of lossProperties(loss, { numRuns: 40 })) assert.doesNotThrow(() => property.run(), property.name);
  });

  test('without the declaration the kit draws log-prob 0 and the same loss fails', async () => {
    await selectBackend('cpu');
    assert.match(failure(strictlyNegative(undefined), 'finite')?.message ?? '', /is not below 0/);
  });
});

test('a generic property marked not applicable carries its reason and is not run', () => {
  const loss = { ...dpo, name: 'marked', notApplicable: { 'finite-differences': 'the loss has a custom gradient by design' } };
  const property = lossProperties(loss).find((p) => p.name.includes('finite differences'));
  assert.equal(property?.notApplicable, 'the loss has a custom gradient by design');
  assert.throws(() => lossProperties({ ...loss, notApplicable: { 'no-such': 'x' } } as any)[0]!.run(), /'notApplicable' names 'no-such', which is not a generic property/);
});
