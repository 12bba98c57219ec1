/**
 * Cal-DPO — Calibrated DPO: the DPO logistic loss plus a calibration term that pulls the
 * log-ratios to fixed targets +-1/(2 beta), so the implicit rewards keep a meaningful scale and
 * the chosen likelihood does not fall along with the rejected one.
 *
 *   loss = -log sigma(rho_c - rho_r) + 0.5 * ((rho_c - 1/(2 beta))^2 + (rho_r + 1/(2 beta))^2)
 *
 * As its authors' code computes it (tengxiao1/Cal-DPO, `loss_type == "Cal-DPO"`): the logistic
 * term takes the raw log-ratio margin (no beta), beta only sets the calibration targets, and the
 * squared errors are weighted 0.5. Their code adds the batch means of the squared errors to every
 * pair's loss; here each pair carries its own squared errors, which gives the same batch loss and
 * gradient while keeping pairs independent. Rewards: beta * rho (TRL's convention; the authors
 * log the raw policy log-probs).
 *
 * Paper: Xiao et al., "Cal-DPO: Calibrated Direct Preference Optimization for Language Model
 * Alignment", NeurIPS 2024, arXiv:2412.14516.
 */
import { tf, f64, betaParam, betaRewards, logRatios, logSigmoid, type PreferenceLoss } from '../../core/loss/index.ts';

export interface CalDpoParams {
  beta: number;
}

const calDpo: PreferenceLoss<CalDpoParams> = {
  name: 'cal-dpo',
  aliases: [],
  description: 'Calibrated DPO: logistic loss on the log-ratio margin plus squared calibration of rho_c, rho_r to +-1/(2 beta).',
  formula: 'loss = -log sigma(rho_c - rho_r) + 0.5*((rho_c - 1/(2*beta))^2 + (rho_r + 1/(2*beta))^2)',
  paper: { title: 'Cal-DPO: Calibrated Direct Preference Optimization for Language Model Alignment', url: 'https://arxiv.org/abs/2412.14516' },
  paramsSchema: { type: 'object', properties: { beta: betaParam } },
  requiresReference: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: (p) => Math.LN2 + 1 / (4 * (p.beta as number) ** 2) },
    { kind: 'rewards-are-beta-rho' },
  ],
  reference(pair, { beta }) {
    const rho = f64.logRatios(pair);
    const t = 1 / (2 * beta);
    const margin = rho.chosen - rho.rejected;
    const s = f64.sigmoid(-margin);
    return {
      loss: f64.softplus(-margin) + 0.5 * ((rho.chosen - t) ** 2 + (rho.rejected + t) ** 2),
      gradChosen: -s + (rho.chosen - t),
      gradRejected: s + (rho.rejected + t),
      ...f64.betaRewards(rho, beta),
    };
  },
  compute(inputs, { beta }) {
    const rho = logRatios(inputs);
    const target = 1 / (2 * beta);
    const logistic = tf.neg(logSigmoid(tf.sub(rho.chosen, rho.rejected)));
    const calibration = tf.add(tf.square(tf.sub(rho.chosen, target)), tf.square(tf.add(rho.rejected, target)));
    return { losses: tf.add(logistic, tf.mul(calibration, 0.5)) as tf.Tensor1D, ...betaRewards(rho, beta) };
  },
};

export default calDpo;
