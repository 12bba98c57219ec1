/**
 * TRL's DPOTrainer `loss_type` names select the matching loss: `exo_pair` -> exo-pair, and so on.
 * The AOT names are the trap: TRL's `aot` is the paired loss (batch-sorted margins, our `aot`),
 * while TRL's `aot_unpaired`, called `aot_pair` in older TRL, sorts the chosen and rejected
 * log-ratios separately (our `aot-unpaired`). The last test checks that by value against TRL's
 * two branches written out in float64, not only by name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeLoss, contractProblems, createLossRegistry, readManifest, resolveParams } from '../../core/loss/index.ts';
import dpo from '../../plugins/dpo/index.ts';
import { f64 } from '../../core/loss/index.ts';

/** Every `loss_type` of TRL's DPOTrainer (current names, plus `aot_pair` from older TRL) -> our loss. */
const TRL_LOSS_TYPES: Record<string, string> = {
  sigmoid: 'dpo',
  hinge: 'hinge',
  ipo: 'ipo',
  exo_pair: 'exo-pair',
  nca_pair: 'nca-pair',
  robust: 'robust',
  bco_pair: 'bco-pair',
  sppo_hard: 'sppo-hard',
  aot: 'aot',
  aot_unpaired: 'aot-unpaired',
  aot_pair: 'aot-unpaired',
  apo_zero: 'apo-zero',
  apo_down: 'apo-down',
  discopop: 'discopop',
  sft: 'sft',
  sigmoid_norm: 'sigmoid-norm',
};

const registry = await createLossRegistry();

test("each TRL loss_type name resolves to the matching loss", () => {
  for (const [trlName, ours] of Object.entries(TRL_LOSS_TYPES)) {
    assert.equal(registry.get(trlName).name, ours, `TRL loss_type '${trlName}'`);
  }
});

test('every underscore alias is a TRL loss_type name, and the manifest lists the same aliases', () => {
  for (const loss of registry.list()) {
    for (const alias of loss.aliases ?? []) {
      if (alias.includes('_')) assert.equal(TRL_LOSS_TYPES[alias], loss.name, `alias '${alias}' of ${loss.name}`);
    }
  }
  for (const entry of readManifest()) {
    assert.deepEqual([...entry.aliases].sort(), [...(registry.get(entry.name).aliases ?? [])].sort(), entry.name);
  }
});

test('aliases may use underscores; names stay kebab-case', () => {
  assert.deepEqual(contractProblems({ ...dpo, name: 'my-loss', aliases: ['my_loss', 'my-loss-2', 'v2_pair'] }), []);
  assert.match(contractProblems({ ...dpo, name: 'my_loss', aliases: [] }).join(), /'name' must be a kebab-case string/);
  for (const bad of ['My_loss', '_loss', 'loss type', 'loss.type', '']) {
    assert.match(contractProblems({ ...dpo, name: 'my-loss', aliases: [bad] }).join(), /'aliases' must be a list/, JSON.stringify(bad));
  }
});

test("TRL's aot and aot_pair/aot_unpaired compute TRL's paired and unpaired formulas", () => {
  // Chosen and rejected log-ratios ranked differently, so the two AOT forms disagree.
  const pairs = {
    policyChosen: [-10, -4, -7, -3],
    policyRejected: [-12, -3, -9, -8],
    refChosen: [-9, -6, -5, -4],
    refRejected: [-11, -5, -12, -6],
    chosenLength: [1, 1, 1, 1],
    rejectedLength: [1, 1, 1, 1],
  };
  const beta = 0.5;
  const eps = 0.1;
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const diff = (a: number[], b: number[]) => a.map((x, i) => x - b[i]!);
  const trlLoss = (delta: number[]) => delta.map((d) => -f64.logSigmoid(beta * d) * (1 - eps) - f64.logSigmoid(-beta * d) * eps);
  // TRL `aot`: sort(chosen - rejected) - sort(ref_chosen - ref_rejected).
  const paired = trlLoss(diff(sorted(diff(pairs.policyChosen, pairs.policyRejected)), sorted(diff(pairs.refChosen, pairs.refRejected))));
  // TRL `aot_pair` / `aot_unpaired`: sort(chosen - ref_chosen) - sort(rejected - ref_rejected).
  const unpaired = trlLoss(diff(sorted(diff(pairs.policyChosen, pairs.refChosen)), sorted(diff(pairs.policyRejected, pairs.refRejected))));
  assert.ok(paired.some((v, i) => Math.abs(v - unpaired[i]!) > 1e-2), 'the batch tells the two forms apart');
  const evaluate = (trlName: string) => {
    const loss = registry.get(trlName);
    return Array.from(computeLoss(loss, resolveParams(loss, { beta, labelSmoothing: eps }), pairs).losses);
  };
  const close = (actual: number[], expected: number[], what: string) =>
    actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 1e-5 * Math.abs(expected[i]!) + 1e-6, `${what}[${i}]: ${v} vs ${expected[i]}`));
  close(evaluate('aot'), paired, 'aot');
  close(evaluate('aot_unpaired'), unpaired, 'aot_unpaired');
  close(evaluate('aot_pair'), unpaired, 'aot_pair');
});
