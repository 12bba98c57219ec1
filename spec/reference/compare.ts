/**
 * Checks a loss evaluated in float32 (tfjs) against the float64 reference formula it declares
 * (`reference` / `batchReference` in its plugin), strictly: the spec's inputs lie on dyadic grids
 * (spec/reference/arbitraries.ts), so float32 holds them exactly and rel 1e-5 / abs 1e-6 applies
 * without the kit's input-sensitivity allowance. The independent yardsticks of the formulas
 * themselves are the fixtures (fixtures.test.ts) and their own finite differences
 * (reference-gradients.test.ts).
 */
import { computeLoss, resolveParams, type LossEvaluation, type PairValues, type PreferenceLoss, type ReferenceValues } from '../../core/loss/index.ts';
import { isClose } from '../../core/testing/numeric.ts';
import { referenceOf, resolveDomain, type Pair } from '../../core/testing/index.ts';

/** One pair of plain inputs (reference log-probs always present). */
export type PairInput = Pair;

/** Every value a built-in reference formula gives for one pair. */
export type PairResult = Required<ReferenceValues>;

const FIELDS = [
  ['loss', 'losses'],
  ['chosenReward', 'chosenRewards'],
  ['rejectedReward', 'rejectedRewards'],
  ['gradChosen', 'gradPolicyChosen'],
  ['gradRejected', 'gradPolicyRejected'],
] as const satisfies ReadonlyArray<readonly [keyof PairResult, keyof LossEvaluation]>;

/** The pairs as the loss and its formula see them (no reference fields for a reference-free loss). */
const asSeen = (loss: PreferenceLoss<any>, pairs: PairInput[]): PairValues[] =>
  pairs.map(({ refChosen, refRejected, ...rest }) => (loss.requiresReference ? { ...rest, refChosen, refRejected } : rest));

/** The raw values of the loss's declared formula (a built-in's formula gives every field). */
export function formula(loss: PreferenceLoss<any>, params: Record<string, unknown>, pairs: PairInput[]): PairResult[] {
  const seen = asSeen(loss, pairs);
  const values = loss.batchReference ? loss.batchReference(seen, params) : seen.map((p) => loss.reference!(p, params));
  return values.map((v, i) => {
    if (typeof v === 'number' || FIELDS.some(([field]) => typeof v[field] !== 'number')) {
      throw new Error(`${loss.name}: the reference formula must give loss, rewards and gradients for pair ${i} (got ${JSON.stringify(v)})`);
    }
    return v as PairResult;
  });
}

/** The float64 reference of `loss` on `pairs` (params resolved against the loss's schema). */
export function reference(loss: PreferenceLoss<any>, given: Record<string, unknown>, pairs: PairInput[]): PairResult[] {
  return referenceOf(loss, resolveParams(loss, given), asSeen(loss, pairs), resolveDomain(loss.domain)) as PairResult[];
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

/** Evaluates `loss` through computeLoss and checks every output against its float64 formula. */
export function checkAgainstReference(loss: PreferenceLoss<any>, given: Record<string, unknown>, pairs: PairInput[]): void {
  const expected = reference(loss, given, pairs);
  const result = computeLoss(loss, resolveParams(loss, given), columns(pairs, loss.requiresReference));
  const byField = Object.fromEntries(FIELDS.map(([field, key]) => [field, result[key]])) as Record<keyof PairResult, Float32Array>;
  assertMatchesReference(loss.name, pairs, expected, (field, i) => byField[field][i]!);
}
