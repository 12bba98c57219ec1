/**
 * AOT (unpaired) — Alignment via Optimal Transport for unpaired data: the chosen log-ratios and
 * the rejected log-ratios are sorted over the batch separately, and the k-th smallest chosen one
 * is compared with the k-th smallest rejected one.
 *
 *   z_k = beta * (sort_batch(rho_c)_k - sort_batch(rho_r)_k)
 *   loss_k = -(1 - eps) * log sigma(z_k) - eps * log sigma(-z_k)
 *
 * Batch-coupled: loss_k belongs to the k-th order statistics, not to pair k. With one pair it is
 * (conservative) DPO. Rewards are per pair, beta * rho.
 *
 * Paper: Melnyk et al., "Distributional Preference Alignment of LLMs via Optimal Transport",
 * arXiv:2406.05882. Matches TRL's `loss_type="aot_unpaired"`, which older TRL releases called
 * `aot_pair`; both TRL names are aliases of this loss. Beware the naming: TRL's `aot_pair` is
 * this *unpaired* loss (chosen and rejected sorted separately), not the paired `aot`, and TRL's
 * `aot` is our `aot` (batch-sorted margins).
 */
import { tf, f64, betaParam, betaRewards, conservativeLogistic, labelSmoothingParam, logRatios, sortAscending, type PreferenceLoss } from '../../core/loss/index.ts';

export interface AotUnpairedParams {
  beta: number;
  labelSmoothing: number;
}

const aotUnpaired: PreferenceLoss<AotUnpairedParams> = {
  name: 'aot-unpaired',
  aliases: ['aot_unpaired', 'aot_pair'],
  description: 'Alignment via Optimal Transport (unpaired): DPO between batch-sorted chosen and rejected log-ratios.',
  formula: 'z = beta*(sort(rho_c) - sort(rho_r)); loss = -(1-eps)*log sigma(z) - eps*log sigma(-z)',
  paper: { title: 'Distributional Preference Alignment of LLMs via Optimal Transport', url: 'https://arxiv.org/abs/2406.05882' },
  paramsSchema: { type: 'object', properties: { beta: betaParam, labelSmoothing: labelSmoothingParam } },
  requiresReference: true,
  batchCoupled: true,
  // With label smoothing the loss is minimal at a finite margin, so it is monotone only without.
  invariants: [
    { kind: 'rho-shift-invariant' },
    { kind: 'value-at-zero-rho', value: () => Math.LN2 },
    { kind: 'non-increasing-in-chosen', when: (p) => !p.labelSmoothing },
    { kind: 'non-decreasing-in-rejected', when: (p) => !p.labelSmoothing },
    { kind: 'rewards-are-beta-rho' },
  ],
  batchReference: (pairs, { beta, labelSmoothing }) => f64.sortedLogistic(pairs, beta, labelSmoothing, false),
  compute(inputs, { beta, labelSmoothing }) {
    const rho = logRatios(inputs);
    const z = tf.mul(tf.sub(sortAscending(rho.chosen), sortAscending(rho.rejected)), beta);
    return { losses: conservativeLogistic(z, labelSmoothing), ...betaRewards(rho, beta) };
  },
};

export default aotUnpaired;
