/**
 * IPO — Identity Preference Optimization: a squared loss that regresses the log-ratio margin to
 * 1/(2 beta) instead of pushing it to infinity.
 *
 *   h = rho_c / L_c - rho_r / L_r   (lengthNormalize: true, TRL's convention)
 *   h = rho_c - rho_r               (lengthNormalize: false, the paper's and OpenRLHF's form)
 *   loss = (h - 1/(2 beta))^2
 *
 * Paper: Azar et al., "A General Theoretical Paradigm to Understand Learning from Human
 * Preferences", arXiv:2310.12036. Matches TRL's `loss_type="ipo"`.
 */
import { tf, f64, betaParam, betaRewards, logRatios, type PreferenceLoss } from '../../core/loss/index.ts';

export interface IpoParams {
  beta: number;
  lengthNormalize: boolean;
}

const ipo: PreferenceLoss<IpoParams> = {
  name: 'ipo',
  aliases: [],
  description: 'Identity Preference Optimization: squared regression of the log-ratio margin to 1/(2 beta).',
  formula: 'h = rho_c/L_c - rho_r/L_r (or rho_c - rho_r); loss = (h - 1/(2*beta))^2',
  paper: { title: 'A General Theoretical Paradigm to Understand Learning from Human Preferences', url: 'https://arxiv.org/abs/2310.12036' },
  paramsSchema: {
    type: 'object',
    properties: {
      beta: betaParam,
      lengthNormalize: {
        type: 'boolean',
        default: true,
        description: 'Divide each log-ratio by its completion length (TRL); false uses summed log-ratios (the paper).',
      },
    },
  },
  requiresReference: true,
  usesLengths: true,
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: (p) => (1 / (2 * (p.beta as number))) ** 2 },
    { kind: 'minimal-at-margin', at: (p) => 1 / (2 * (p.beta as number)) },
    { kind: 'rewards-are-beta-rho' },
    { kind: 'per-token-normalized', when: (p) => p.lengthNormalize },
  ],
  reference(pair, { beta, lengthNormalize }) {
    const rho = f64.logRatios(pair);
    const [lc, lr] = lengthNormalize ? [pair.chosenLength, pair.rejectedLength] : [1, 1];
    const d = rho.chosen / lc - rho.rejected / lr - 1 / (2 * beta);
    return { loss: d * d, gradChosen: (2 * d) / lc, gradRejected: (-2 * d) / lr, ...f64.betaRewards(rho, beta) };
  },
  compute(inputs, { beta, lengthNormalize }) {
    const rho = logRatios(inputs);
    const h = lengthNormalize
      ? tf.sub(tf.div(rho.chosen, inputs.chosenLength), tf.div(rho.rejected, inputs.rejectedLength))
      : tf.sub(rho.chosen, rho.rejected);
    const losses = tf.square(tf.sub(h, 1 / (2 * beta))) as tf.Tensor1D;
    return { losses, ...betaRewards(rho, beta) };
  },
};

export default ipo;
