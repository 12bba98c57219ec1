/** Checks a loss evaluated in float32 (tfjs) against its float64 reference formula. */
import { computeLoss, resolveParams, type LossEvaluation, type PreferenceLoss } from '../../core/loss/index.ts';
import { isClose } from '../../core/testing/numeric.ts';
import { REFERENCE, type PairInput, type PairResult } from './formulas.ts';

const FIELDS = [
  ['loss', 'losses'],
  ['chosenReward', 'chosenRewards'],
  ['rejectedReward', 'rejectedRewards'],
  ['gradChosen', 'gradPolicyChosen'],
  ['gradRejected', 'gradPolicyRejected'],
] as const satisfies ReadonlyArray<readonly [keyof PairResult, keyof LossEvaluation]>;

/** The float64 reference of `name` on `pairs` (params resolved against the loss's schema). */
export function reference(loss: PreferenceLoss<any>, given: Record<string, unknown>, pairs: PairInput[]): PairResult[] {
  const formula = REFERENCE[loss.name];
  if (!formula) throw new Error(`no float64 reference formula for loss '${loss.name}'`);
  return formula(pairs, resolveParams(loss, given));
}

/** Columns of pairs, as computeLoss takes them. */
export function columns(pairs: PairInput[], withReference: boolean) {
  const col = (key: keyof PairInput) => pairs.map((p) => p[key]);
  return {
    policyChosen: col('policyChosen'),
    policyRejected: col('policyRejected'),
    ...(withReference ? { refChosen: col('refChosen'), refRejected: col('refRejected') } : {}),
    chosenLength: col('chosenLength'),
    rejectedLength: col('rejectedLength'),
  };
}

/** Throws, naming the pair and field, where `actual` and the float64 values differ beyond rel 1e-5 / abs 1e-6. */
export function assertMatchesReference(name: string, pairs: PairInput[], expected: PairResult[], actual: (field: keyof PairResult, i: number) => number): void {
  pairs.forEach((pair, i) => {
    for (const [field] of FIELDS) {
      const got = actual(field, i);
      const want = expected[i]![field];
      if (!isClose(got, want)) {
        throw new Error(`${name}: ${field} of pair ${i} is ${got}, float64 gives ${want}; pairs ${JSON.stringify(pairs)}`);
      }
    }
  });
}

/** Evaluates `loss` through computeLoss and checks every output against the float64 formula. */
export function checkAgainstReference(loss: PreferenceLoss<any>, given: Record<string, unknown>, pairs: PairInput[]): void {
  const expected = reference(loss, given, pairs);
  const result = computeLoss(loss, resolveParams(loss, given), columns(pairs, loss.requiresReference));
  const byField = Object.fromEntries(FIELDS.map(([field, key]) => [field, result[key]])) as Record<keyof PairResult, Float32Array>;
  assertMatchesReference(loss.name, pairs, expected, (field, i) => byField[field][i]!);
}
