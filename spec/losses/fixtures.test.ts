/**
 * The four seed losses against the float64 reference values of shared/fixtures/pairwise-losses.json
 * (skipped when ../shared is absent) and against in-repo copies of a few of them (always run):
 * the tfjs losses within float32 precision, the float64 reference formulas the plugins declare
 * within 1e-12.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { computeLoss, createLossRegistry, resolveParams } from '../../core/loss/index.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { isClose } from '../../core/testing/numeric.ts';
import { selectBackend } from '../../core/runtime/backend.ts';
import { columns, formula } from '../reference/compare.ts';
import { toPair, toResult, type FixtureExpected, type FixtureFile, type FixtureInput } from '../reference/fixture.ts';
import { SEED_INPUTS, SEED_VALUES } from '../reference/seed-values.ts';

const FIXTURE = path.join(PACKAGE_ROOT, '..', 'shared', 'fixtures', 'pairwise-losses.json');
const registry = await createLossRegistry();
before(async () => {
  await selectBackend('cpu');
});

/** Checks one expected record against tfjs (float32 tolerance) and the float64 formula (1e-12). */
function checkCase(name: string, given: Record<string, unknown>, input: FixtureInput, expected: FixtureExpected): void {
  const loss = registry.get(name);
  const pair = toPair(input);
  const want = toResult(expected);
  const result = computeLoss(loss, resolveParams(loss, given), columns([pair], true));
  const got = {
    loss: result.losses[0]!, chosenReward: result.chosenRewards[0]!, rejectedReward: result.rejectedRewards[0]!,
    gradChosen: result.gradPolicyChosen[0]!, gradRejected: result.gradPolicyRejected[0]!,
  };
  const ref = formula(loss, resolveParams(loss, given), [pair])[0]!;
  for (const field of Object.keys(want) as Array<keyof typeof want>) {
    const where = `${name} ${JSON.stringify(given)} at ${JSON.stringify(input)}: ${field}`;
    if (!isClose(got[field], want[field])) throw new Error(`${where}: tfjs ${got[field]}, fixture ${want[field]}`);
    if (!isClose(ref[field], want[field], { relative: 1e-12, absolute: 1e-15 })) throw new Error(`${where}: float64 formula ${ref[field]}, fixture ${want[field]}`);
  }
}

test('seed losses match the in-repo copies of the float64 fixture values (tfjs to float32 precision, formulas to 1e-12)', () => {
  for (const { loss, params, input, expected } of SEED_VALUES) checkCase(loss, params, SEED_INPUTS[input]!, expected);
});

test(
  'seed losses match every value of shared/fixtures/pairwise-losses.json',
  { skip: existsSync(FIXTURE) ? false : `${FIXTURE} is absent` },
  () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as FixtureFile;
    for (const { loss, params, expected } of fixture.cases) {
      expected.forEach((e, i) => checkCase(loss, params, fixture.inputs[i]!, e));
    }
  },
);
