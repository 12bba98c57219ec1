/**
 * In-repo copies of essential float64 values of shared/fixtures/pairwise-losses.json (pairs 0 and
 * 3 of every case), so the seed losses are checked against them even without ../shared.
 */
import type { FixtureInput, FixtureExpected } from './fixture.ts';

export const SEED_INPUTS: FixtureInput[] = [
  { policy_chosen_logps: -3, policy_rejected_logps: -5, ref_chosen_logps: -2.8, ref_rejected_logps: -3.2, chosen_length: 2, rejected_length: 3 },
  { policy_chosen_logps: -2.5, policy_rejected_logps: -3.5, ref_chosen_logps: -2.3, ref_rejected_logps: -2.7, chosen_length: 3, rejected_length: 2 },
  { policy_chosen_logps: -4, policy_rejected_logps: -6, ref_chosen_logps: -3.8, ref_rejected_logps: -4.2, chosen_length: 4, rejected_length: 5 },
  { policy_chosen_logps: -1.5, policy_rejected_logps: -2.5, ref_chosen_logps: -1.4, ref_rejected_logps: -1.8, chosen_length: 1, rejected_length: 2 },
];

export const SEED_VALUES: Array<{ loss: string; params: Record<string, unknown>; input: number; expected: FixtureExpected }> = [
  { loss: 'dpo', params: {beta: 0.1}, input: 0, expected: { loss: 0.6163437730407396, chosen_reward: -0.020000000000000018, rejected_reward: -0.18, grad: { policy_chosen_logps: -0.04600851154444344, policy_rejected_logps: 0.04600851154444344 } } },
  { loss: 'dpo', params: {beta: 0.1}, input: 3, expected: { loss: 0.6635971130761409, chosen_reward: -0.010000000000000009, rejected_reward: -0.06999999999999999, grad: { policy_chosen_logps: -0.04850044983805899, policy_rejected_logps: 0.04850044983805899 } } },
  { loss: 'dpo', params: {beta: 0.1, labelSmoothing: 0.1}, input: 0, expected: { loss: 0.6323437730407396, chosen_reward: -0.020000000000000018, rejected_reward: -0.18, grad: { policy_chosen_logps: -0.036008511544443435, policy_rejected_logps: 0.036008511544443435 } } },
  { loss: 'dpo', params: {beta: 0.1, labelSmoothing: 0.1}, input: 3, expected: { loss: 0.6695971130761409, chosen_reward: -0.010000000000000009, rejected_reward: -0.06999999999999999, grad: { policy_chosen_logps: -0.038500449838058996, policy_rejected_logps: 0.038500449838058996 } } },
  { loss: 'minor-dpo', params: {beta: 0.1}, input: 0, expected: { loss: 0.7031971797266342, chosen_reward: -0.020000000000000018, rejected_reward: -0.18, grad: { policy_chosen_logps: -0.05049998333399998, policy_rejected_logps: 0.0 } } },
  { loss: 'minor-dpo', params: {beta: 0.1}, input: 3, expected: { loss: 0.6981596805078623, chosen_reward: -0.010000000000000009, rejected_reward: -0.06999999999999999, grad: { policy_chosen_logps: -0.050249997916687494, policy_rejected_logps: 0.0 } } },
  { loss: 'ipo', params: {beta: 0.1}, input: 0, expected: { loss: 20.25, chosen_reward: -0.020000000000000018, rejected_reward: -0.18, grad: { policy_chosen_logps: -4.5, policy_rejected_logps: 3.0 } } },
  { loss: 'ipo', params: {beta: 0.1}, input: 3, expected: { loss: 22.5625, chosen_reward: -0.010000000000000009, rejected_reward: -0.06999999999999999, grad: { policy_chosen_logps: -9.5, policy_rejected_logps: 4.75 } } },
  { loss: 'ipo', params: {beta: 0.1, lengthNormalize: false}, input: 0, expected: { loss: 11.560000000000002, chosen_reward: -0.020000000000000018, rejected_reward: -0.18, grad: { policy_chosen_logps: -6.800000000000001, policy_rejected_logps: 6.800000000000001 } } },
  { loss: 'ipo', params: {beta: 0.1, lengthNormalize: false}, input: 3, expected: { loss: 19.360000000000003, chosen_reward: -0.010000000000000009, rejected_reward: -0.06999999999999999, grad: { policy_chosen_logps: -8.8, policy_rejected_logps: 8.8 } } },
  { loss: 'hinge', params: {beta: 0.1}, input: 0, expected: { loss: 0.8400000000000001, chosen_reward: -0.020000000000000018, rejected_reward: -0.18, grad: { policy_chosen_logps: -0.1, policy_rejected_logps: 0.1 } } },
  { loss: 'hinge', params: {beta: 0.1}, input: 3, expected: { loss: 0.9400000000000001, chosen_reward: -0.010000000000000009, rejected_reward: -0.06999999999999999, grad: { policy_chosen_logps: -0.1, policy_rejected_logps: 0.1 } } },
];
