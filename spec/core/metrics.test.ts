/** The TRL-named batch metrics. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { callLoss, pairTensors, preferenceMetrics, reduceLoss, resolveParams } from '../../core/loss/index.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import dpo from '../../plugins/dpo/index.ts';

before(async () => {
  await selectBackend('cpu');
});

test('metrics are batch means under TRL names; accuracy counts strict wins only', () => {
  const columns = {
    policyChosen: [-1, -2, -3],
    policyRejected: [-2, -2, -1],
    refChosen: [-1.5, -2, -3],
    refRejected: [-1.5, -2, -2],
    chosenLength: [1, 1, 1],
    rejectedLength: [1, 1, 1],
  };
  const before = tf.memory().numTensors;
  const metrics = tf.tidy(() => {
    const inputs = pairTensors(columns);
    const output = callLoss(dpo, inputs, resolveParams(dpo, { beta: 1 }));
    return { ...preferenceMetrics(inputs, output), batchLoss: reduceLoss(output).dataSync()[0]! };
  });
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  // rho_c = [0.5, 0, 0], rho_r = [-0.5, 0, 1]; rewards with beta 1 are the same.
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6, `${a} vs ${b}`);
  close(metrics['rewards/chosen'], 0.5 / 3);
  close(metrics['rewards/rejected'], 0.5 / 3);
  close(metrics['rewards/margins'], 0);
  close(metrics['rewards/accuracies'], 1 / 3); // the tie (pair 2) is not a win
  close(metrics['logps/chosen'], -2);
  close(metrics['logps/rejected'], -5 / 3);
  const softplus = (x: number) => Math.log1p(Math.exp(x));
  close(metrics.loss, (softplus(-1) + softplus(0) + softplus(1)) / 3);
  close(metrics.batchLoss, metrics.loss);
});
