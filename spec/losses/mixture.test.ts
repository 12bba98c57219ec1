/** Loss mixtures (TRL's MPO): weighted sums of registered losses, per-term metrics, validation. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { computeLoss, createLossRegistry, createMixture, pairTensors } from '../../core/loss/index.ts';
import { UserError } from '../../core/errors.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { testLoss } from '../../core/testing/index.ts';
import { isClose } from '../../core/testing/numeric.ts';
import { batch, randomPair } from '../reference/arbitraries.ts';
import { columns, reference } from '../reference/compare.ts';

const registry = await createLossRegistry();
before(async () => {
  await selectBackend('cpu');
});

const MPO = [{ name: 'dpo', weight: 0.8 }, { name: 'bco-pair', weight: 0.2, beta: 0.5 }, { name: 'sft', weight: 1 }];

test('MPO mixture: per-pair loss and gradients are the weighted sums of the terms’ float64 values, rewards those of dpo', () => {
  const mixture = createMixture(registry, MPO);
  fc.assert(
    fc.property(batch(randomPair), (pairs) => {
      const got = computeLoss(mixture, {}, columns(pairs, true));
      const parts = MPO.map(({ name, weight, ...params }) => ({ weight, values: reference(registry.get(name), params, pairs) }));
      const dpo = parts[0]!.values;
      pairs.forEach((_, i) => {
        const sum = (field: 'loss' | 'gradChosen' | 'gradRejected') => parts.reduce((s, p) => s + p.weight * p.values[i]![field], 0);
        assert.ok(isClose(got.losses[i]!, sum('loss')), `loss ${got.losses[i]} vs ${sum('loss')}`);
        assert.ok(isClose(got.gradPolicyChosen[i]!, sum('gradChosen')), 'chosen gradient');
        assert.ok(isClose(got.gradPolicyRejected[i]!, sum('gradRejected')), 'rejected gradient');
        assert.ok(isClose(got.chosenRewards[i]!, dpo[i]!.chosenReward) && isClose(got.rejectedRewards[i]!, dpo[i]!.rejectedReward), 'rewards of dpo');
      });
    }),
    { numRuns: 50 },
  );
});

test('RPO = [dpo 1, sft 1]: rewards come from the first reference-based term even when sft is listed first', () => {
  const rpo = createMixture(registry, [{ name: 'sft' }, { name: 'sigmoid', beta: 0.2 }]);
  assert.equal(rpo.requiresReference, true);
  const pair = { policyChosen: -4, policyRejected: -9, refChosen: -5, refRejected: -6, chosenLength: 2, rejectedLength: 3 };
  const got = computeLoss(rpo, {}, columns([pair], true));
  const dpo = reference(registry.get('dpo'), { beta: 0.2 }, [pair])[0]!;
  assert.ok(isClose(got.losses[0]!, dpo.loss + 2));
  assert.ok(isClose(got.chosenRewards[0]!, 0.2) && isClose(got.rejectedRewards[0]!, -0.6));
  assert.deepEqual(rpo.formula, 'loss = 1*sft + 1*dpo; rewards of dpo');
});

test('a mixture of reference-free terms is reference-free; one batch-coupled term makes it batch-coupled', () => {
  assert.equal(createMixture(registry, [{ name: 'simpo' }, { name: 'sft', weight: 0.5 }]).requiresReference, false);
  assert.equal(createMixture(registry, [{ name: 'dpo' }]).batchCoupled, false);
  assert.equal(createMixture(registry, [{ name: 'dpo' }, { name: 'aot' }]).batchCoupled, true);
});

test('termLosses reports each term’s unweighted batch mean under loss/<name> without leaking tensors', () => {
  const mixture = createMixture(registry, [...MPO, { name: 'dpo', weight: 0.1, beta: 1 }]);
  const pairs = [
    { policyChosen: -4, policyRejected: -9, refChosen: -5, refRejected: -6, chosenLength: 2, rejectedLength: 3 },
    { policyChosen: -7, policyRejected: -2, refChosen: -6, refRejected: -3, chosenLength: 4, rejectedLength: 1 },
  ];
  const inputs = pairTensors(columns(pairs, true));
  const before = tf.memory().numTensors;
  const metrics = mixture.termLosses(inputs);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(Object.values(inputs));
  assert.deepEqual(Object.keys(metrics), ['loss/dpo', 'loss/bco-pair', 'loss/sft', 'loss/dpo#2']);
  const mean = (name: string, params: Record<string, unknown>) => reference(registry.get(name), params, pairs).reduce((s, r) => s + r.loss, 0) / 2;
  assert.ok(isClose(metrics['loss/dpo']!, mean('dpo', {})));
  assert.ok(isClose(metrics['loss/bco-pair']!, mean('bco-pair', { beta: 0.5 })));
  assert.ok(isClose(metrics['loss/sft']!, mean('sft', {})));
  assert.ok(isClose(metrics['loss/dpo#2']!, mean('dpo', { beta: 1 })));
});

test('mixture errors are UserErrors naming the term: unknown loss, bad param, bad weight, empty list', () => {
  const fails = (specs: any, pattern: RegExp) => assert.throws(() => createMixture(registry, specs), (e: unknown) => e instanceof UserError && pattern.test((e as Error).message));
  fails([{ name: 'dpo' }, { name: 'nope' }], /term 2 \(nope\): unknown loss 'nope'; known losses: dpo/);
  fails([{ name: 'dpo', betta: 1 }], /term 1 \(dpo\): loss 'dpo': unknown param 'betta'/);
  fails([{ name: 'robust', labelSmoothing: 0.5 }], /term 1 \(robust\): .*labelSmoothing/);
  fails([{ name: 'dpo', weight: 'heavy' }], /term 1 \(dpo\): 'weight' must be a finite number/);
  fails([], /at least one term/);
});

test('the mixture promises the invariants all its terms keep, with the weighted value at rho = 0', () => {
  const kinds = (specs: any) => (createMixture(registry, specs).invariants ?? []).map((i) => i.kind).sort();
  assert.deepEqual(kinds([{ name: 'dpo' }, { name: 'bco-pair' }]), ['non-decreasing-in-rejected', 'non-increasing-in-chosen', 'rho-shift-invariant', 'value-at-zero-rho']);
  assert.deepEqual(kinds([{ name: 'dpo', labelSmoothing: 0.1 }, { name: 'bco-pair' }]), ['rho-shift-invariant', 'value-at-zero-rho']);
  assert.deepEqual(kinds(MPO), ['non-decreasing-in-rejected', 'non-increasing-in-chosen']);
  const zero = createMixture(registry, [{ name: 'dpo', weight: 0.5 }, { name: 'bco-pair', weight: 2 }]).invariants!.find((i) => i.kind === 'value-at-zero-rho');
  assert.ok(zero && zero.kind === 'value-at-zero-rho' && isClose(zero.value({}), 0.5 * Math.LN2 + 4 * Math.LN2));
});

testLoss(createMixture(registry, MPO, { name: 'mpo' }), { numRuns: 60 });
testLoss(createMixture(registry, [{ name: 'dpo', weight: 0.5 }, { name: 'bco-pair', weight: 2 }], { name: 'dpo-bco' }), { numRuns: 60 });
