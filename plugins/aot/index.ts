/**
 * AOT — Alignment via Optimal Transport (paired): DPO on batch-sorted log-ratio margins, which
 * makes the chosen-vs-rejected margin distribution first-order stochastically dominate the
 * reference's.
 *
 *   s = sort_batch(log pi(y_w) - log pi(y_l)),  t = sort_batch(log pi_ref(y_w) - log pi_ref(y_l))
 *   z_k = beta * (s_k - t_k)
 *   loss_k = -(1 - eps) * log sigma(z_k) - eps * log sigma(-z_k)
 *
 * Batch-coupled: loss_k belongs to the k-th smallest margin, not to pair k, and a pair's gradient
 * depends on where its margin ranks in the batch. With one pair it is (conservative) DPO.
 * Rewards are per pair, beta * rho, as TRL logs them.
 *
 * Paper: Melnyk et al., "Distributional Preference Alignment of LLMs via Optimal Transport",
 * arXiv:2406.05882. Matches TRL's `loss_type="aot"` (same name, so no alias). TRL's `aot_pair`
 * (older TRL) and `aot_unpaired` are NOT this loss: they select `aot-unpaired`, which sorts the
 * chosen and rejected log-ratios separately.
 */
import { tf, f64, betaParam, betaRewards, conservativeLogistic, labelSmoothingParam, logRatios, sortAscending, requireReference, type PreferenceLoss } from '../../core/loss/index.ts';

export interface AotParams {
  beta: number;
  labelSmoothing: number;
}

const aot: PreferenceLoss<AotParams> = {
  name: 'aot',
  aliases: [],
  description: 'Alignment via Optimal Transport (paired): DPO on batch-sorted policy and reference margins.',
  formula: 's = sort(pi_c - pi_r), t = sort(ref_c - ref_r); z = beta*(s - t); loss = -(1-eps)*log sigma(z) - eps*log sigma(-z)',
  paper: { title: 'Distributional Preference Alignment of LLMs via Optimal Transport', url: 'https://arxiv.org/abs/2406.05882' },
  paramsSchema: { type: 'object', properties: { beta: betaParam, labelSmoothing: labelSmoothingParam } },
  requiresReference: true,
  batchCoupled: true,
  // With label smoothing the loss is minimal at a finite margin, so it is monotone only without.
  invariants: [
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    { kind: 'non-increasing-in-chosen', when: (p) => !p.labelSmoothing },
    { kind: 'non-decreasing-in-rejected', when: (p) => !p.labelSmoothing },
    { kind: 'rewards-are-beta-rho' },
  ],
  batchReference: (pairs, { beta, labelSmoothing }) => f64.sortedLogistic(pairs, beta, labelSmoothing, true),
  compute(inputs, { beta, labelSmoothing }) {
    const { refChosen, refRejected } = requireReference(inputs);
    const policyMargins = sortAscending(tf.sub(inputs.policyChosen, inputs.policyRejected) as tf.Tensor1D);
    const refMargins = sortAscending(tf.sub(refChosen, refRejected) as tf.Tensor1D);
    const z = tf.mul(tf.sub(policyMargins, refMargins), beta);
    return { losses: conservativeLogistic(z, labelSmoothing), ...betaRewards(logRatios(inputs), beta) };
  },
};

export default aot;
