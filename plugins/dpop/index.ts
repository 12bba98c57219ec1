/**
 * DPOP — DPO-Positive (Smaug): DPO plus a penalty whenever the policy puts less probability on
 * the chosen answer than the reference does, so the chosen likelihood cannot fall while the margin
 * grows. MinorDPO's mirror image: it acts on the chosen side, below the reference.
 *
 *   loss = -log sigma(beta * (rho_c - rho_r - lambda * max(0, -rho_c)))
 *
 * For rho_c >= 0 the penalty is inactive and the loss and its gradient are DPO's (at exactly
 * rho_c = 0 the penalty's gradient is 0, so the loss is DPO's there too); for rho_c < 0 the
 * chosen gradient is scaled by 1 + lambda. The loss is never below DPO's.
 *
 * Paper: Pal et al., "Smaug: Fixing Failure Modes of Preference Optimisation with DPO-Positive",
 * arXiv:2402.13228.
 */
import { tf, f64, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface DpopParams {
  beta: number;
  lambda: number;
}

const dpop: PreferenceLoss<DpopParams> = {
  name: 'dpop',
  aliases: [],
  description: 'DPO-Positive (Smaug): DPO plus a penalty when the chosen answer falls below the reference.',
  formula: 'loss = -log sigma(beta*(rho_c - rho_r - lambda*max(0, -rho_c)))',
  paper: { title: 'Smaug: Fixing Failure Modes of Preference Optimisation with DPO-Positive', url: 'https://arxiv.org/abs/2402.13228' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      lambda: { type: 'number', minimum: 0, default: 50, description: 'Weight of the penalty on a chosen log-prob below the reference.' },
    },
  },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    { kind: 'non-increasing-in-chosen' },
    { kind: 'non-decreasing-in-rejected' },
    { kind: 'equals-dpo-when-chosen-at-or-above-reference' },
    { kind: 'never-below-dpo' },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta, lambda }) {
    const rho = f64.logRatios(pair);
    const below = rho.chosen < 0;
    const z = beta * (rho.chosen - rho.rejected - lambda * (below ? -rho.chosen : 0));
    const s = f64.sigmoid(-z);
    return { loss: f64.softplus(-z), gradChosen: -beta * (1 + (below ? lambda : 0)) * s, gradRejected: beta * s, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, lambda }) {
    const rho = logRatios(inputs);
    const penalty = tf.mul(tf.relu(tf.neg(rho.chosen)), lambda); // relu: gradient 0 at rho_c = 0
    const z = tf.mul(tf.sub(tf.sub(rho.chosen, rho.rejected), penalty), beta);
    return { losses: tf.neg(logSigmoid(z)) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default dpop;
