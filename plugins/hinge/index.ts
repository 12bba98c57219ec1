/**
 * Hinge — the SLiC-style hinge loss on the implicit reward margin.
 *
 *   loss = max(0, 1 - beta * (rho_c - rho_r))
 *
 * Zero once the log-ratio margin reaches 1/beta (TRL's convention: beta is the reciprocal margin).
 *
 * Paper: Zhao et al., "SLiC-HF: Sequence Likelihood Calibration with Human Feedback",
 * arXiv:2305.10425. Matches TRL's `loss_type="hinge"`.
 */
import { tf, f64, betaMargin, betaParam, betaRewards, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface HingeParams {
  beta: number;
}

const hinge: PreferenceLoss<HingeParams> = {
  name: 'hinge',
  aliases: [],
  description: 'Hinge loss on the reward margin: zero once rho_c - rho_r reaches 1/beta.',
  formula: 'loss = max(0, 1 - beta*(rho_c - rho_r))',
  paper: { title: 'SLiC-HF: Sequence Likelihood Calibration with Human Feedback', url: 'https://arxiv.org/abs/2305.10425' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => 1 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'zero-beyond-margin', margin: (p) => 1 / (p.beta as number) },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const m = 1 - beta * (rho.chosen - rho.rejected);
    const active = m > 0;
    return { loss: active ? m : 0, gradChosen: active ? -beta : 0, gradRejected: active ? beta : 0, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const losses = tf.relu(tf.sub(1, betaMargin(rho, beta))) as tf.Tensor1D;
    return { losses, ...betaRewards(rho, beta) };
  },
};

export default hinge;
