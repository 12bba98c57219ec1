/**
 * The experiment's robustness metrics, added to every preference objective through the trainer's
 * pair-metric hook (`registerPairMetrics`): how the policy sits relative to the reference
 * (MinorDPO's question). Mean log-ratios rho_c and rho_r (`logratio/chosen`, `logratio/rejected`),
 * the fraction of pairs whose rejected answer is already below the reference (rho_r < 0,
 * `rejected_below_ref/fraction`), and the fraction that are below AND still receive a gradient
 * pushing the rejected answer down (d loss / d log pi(y_l) != 0, `rejected_below_ref/with_gradient`)
 * — zero for MinorDPO by design.
 */
import { logRatios, policyGradients, registerPairMetrics, tf, type PairMetricContext } from '../../core/index.ts';

/** The drift metrics of one microbatch (none when the loss has no reference log-probs). */
export function referenceDrift({ inputs, loss, params }: PairMetricContext): Record<string, number> {
  if (!inputs.refChosen || !inputs.refRejected) return {};
  return tf.tidy(() => {
    // d loss / d policyRejected, per pair: zeros where the loss ignores it (MinorDPO below the reference).
    const [, gradRejected] = policyGradients(loss, inputs, params);
    const rho = logRatios(inputs);
    const below = tf.cast(tf.less(rho.rejected, 0), 'float32');
    const pushed = tf.mul(below, tf.cast(tf.notEqual(gradRejected, 0), 'float32'));
    const [c, r, b, p] = tf.stack([tf.mean(rho.chosen), tf.mean(rho.rejected), tf.mean(below), tf.mean(pushed)]).dataSync();
    return { 'logratio/chosen': c!, 'logratio/rejected': r!, 'rejected_below_ref/fraction': b!, 'rejected_below_ref/with_gradient': p! };
  });
}

let registered = false;

/** Registers the drift metrics once for this process (idempotent). */
export function registerReferenceDrift(): void {
  if (registered) return;
  registerPairMetrics(referenceDrift, { workerSetup: { module: import.meta.url, function: 'registerReferenceDrift' } });
  registered = true;
}
