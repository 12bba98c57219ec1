/**
 * SFT — the negative log-likelihood of the chosen completion, per token: reference-free and
 * blind to the rejected answer.
 *
 *   loss = -log pi(y_w|x) / L_c   (mean token NLL of the chosen answer)
 *   rewards = 0
 *
 * On its own it is supervised fine-tuning on the chosen answers; in a mixture it is the NLL term
 * of RPO ([dpo 1.0, sft alpha]), of MPO ([dpo, bco-pair, sft]) and of SimPO's optional SFT term.
 * TRL's `loss_type="sft"` averages the NLL over all chosen tokens of the batch (long answers
 * weigh more); here each pair's NLL is its own token mean (the same when lengths are equal), so
 * pairs stay independent.
 *
 * Paper: Pang et al., "Iterative Reasoning Preference Optimization", arXiv:2404.19733 (the NLL
 * term of RPO). Matches TRL's `loss_type="sft"` up to the token weighting above.
 */
import { tf, f64, type PreferenceLoss } from '../../core/loss/index.ts';

const sft: PreferenceLoss = {
  name: 'sft',
  aliases: [],
  description: 'Mean token negative log-likelihood of the chosen answer (the NLL term of RPO and MPO).',
  formula: 'loss = -logp_c / L_c; rewards = 0',
  paper: { title: 'Iterative Reasoning Preference Optimization', url: 'https://arxiv.org/abs/2404.19733' },
  paramsSchema: { type: 'object', properties: {} },
  requiresReference: false,
  usesLengths: true,
  invariants: [{ kind: 'non-increasing-in-chosen' }, { kind: 'non-decreasing-in-rejected' }, { kind: 'per-token-normalized' }],
  reference: (pair) => ({ loss: -pair.policyChosen / pair.chosenLength, gradChosen: -1 / pair.chosenLength, gradRejected: 0, chosenReward: 0, rejectedReward: 0 }),
  compute(inputs) {
    const losses = tf.neg(tf.div(inputs.policyChosen, inputs.chosenLength)) as tf.Tensor1D;
    return { losses, chosenRewards: tf.zerosLike(losses), rejectedRewards: tf.zerosLike(losses) };
  },
};

export default sft;
