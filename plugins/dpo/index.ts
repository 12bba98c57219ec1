/**
 * DPO — Direct Preference Optimization (sigmoid loss), with optional label smoothing
 * (conservative DPO, cDPO).
 *
 *   rho_c = log pi(y_w|x) - log pi_ref(y_w|x),  rho_r = log pi(y_l|x) - log pi_ref(y_l|x)
 *   z = beta * (rho_c - rho_r)
 *   loss = -(1 - eps) * log sigma(z) - eps * log sigma(-z)
 *
 * Paper: Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a
 * Reward Model", arXiv:2305.18290. cDPO: Mitchell, "A note on DPO with noisy preferences" (2023).
 * Matches TRL's `loss_type="sigmoid"`.
 */
import { f64, betaMargin, betaParam, betaRewards, conservativeLogistic, labelSmoothingParam, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface DpoParams {
  beta: number;
  labelSmoothing: number;
}

const dpo: PreferenceLoss<DpoParams> = {
  name: 'dpo',
  aliases: ['sigmoid'],
  description: 'Direct Preference Optimization: logistic loss on the implicit reward margin.',
  formula: 'z = beta*(rho_c - rho_r); loss = -(1-eps)*log sigma(z) - eps*log sigma(-z)',
  paper: { title: 'Direct Preference Optimization: Your Language Model is Secretly a Reward Model', url: 'https://arxiv.org/abs/2305.18290' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      labelSmoothing: labelSmoothingParam,
    },
  },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    // With label smoothing the loss is minimal at a finite margin, so it is monotone only without.
    { kind: 'non-increasing-in-chosen', when: (p) => !p.labelSmoothing },
    { kind: 'non-decreasing-in-rejected', when: (p) => !p.labelSmoothing },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta, labelSmoothing }) {
    const rho = f64.logRatios(pair);
    const { value, slope } = f64.smoothedLogistic(beta * (rho.chosen - rho.rejected), labelSmoothing);
    return { loss: value, gradChosen: beta * slope, gradRejected: -beta * slope, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, labelSmoothing }) {
    const rho = logRatios(inputs);
    const z = betaMargin(rho, beta);
    return { losses: conservativeLogistic(z, labelSmoothing), ...betaRewards(rho, beta) };
  },
};

export default dpo;
