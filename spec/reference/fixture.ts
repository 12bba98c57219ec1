/** The shape of shared/fixtures/pairwise-losses.json and conversions to the reference types. */
import type { PairInput } from './compare.ts';

export interface FixtureInput {
  policy_chosen_logps: number;
  policy_rejected_logps: number;
  ref_chosen_logps: number;
  ref_rejected_logps: number;
  chosen_length: number;
  rejected_length: number;
}

export interface FixtureExpected {
  loss: number;
  chosen_reward: number;
  rejected_reward: number;
  grad: { policy_chosen_logps: number; policy_rejected_logps: number };
}

export interface FixtureFile {
  inputs: FixtureInput[];
  cases: Array<{ loss: string; params: Record<string, unknown>; expected: FixtureExpected[] }>;
}

export function toPair(input: FixtureInput): PairInput {
  return {
    policyChosen: input.policy_chosen_logps,
    policyRejected: input.policy_rejected_logps,
    refChosen: input.ref_chosen_logps,
    refRejected: input.ref_rejected_logps,
    chosenLength: input.chosen_length,
    rejectedLength: input.rejected_length,
  };
}

/** The expected values as PairResult fields. */
export function toResult(e: FixtureExpected) {
  return {
    loss: e.loss,
    chosenReward: e.chosen_reward,
    rejectedReward: e.rejected_reward,
    gradChosen: e.grad.policy_chosen_logps,
    gradRejected: e.grad.policy_rejected_logps,
  };
}
