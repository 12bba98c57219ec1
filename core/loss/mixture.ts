/**
 * Loss mixtures: one PreferenceLoss built from a weighted list of registered losses, as TRL's
 * MPO (`loss_type=[...]`, `loss_weights=[...]`), e.g.
 *
 *   createMixture(registry, [{ name: 'dpo', weight: 0.8 }, { name: 'bco-pair', weight: 0.2 }, { name: 'sft', weight: 1 }])
 *
 *   losses = sum_i weight_i * losses_i
 *   rewards = those of the first term that requires a reference (else of the first term)
 *   requiresReference = any term requires it; batchCoupled = any term is
 *
 * [dpo 1.0, sft alpha] is RPO. Each term's params are validated against its own schema (errors
 * name the term); `termLosses(inputs)` gives each term's unweighted batch mean under `loss/<name>`
 * for the metrics, and a term's own metrics are reported as `loss/<name>/<metric>`. The mixture's
 * float64 reference is the weighted sum of its terms' references. The mixture promises the invariants every term promises (rho-shift invariance,
 * monotonicity) and, when every term declares its value at rho = 0, the weighted sum of them.
 */
import { tf } from './tf.ts';
import type { BatchReference, LossParams, PairLogps, PairLossOutput, PairValues, PreferenceLoss, ReferenceValues } from './contract.ts';
import { callLoss } from './call.ts';
import type { Invariant } from './invariants.ts';
import { resolveParams } from './params.ts';
import type { LossRegistry } from './registry.ts';
import { UserError } from '../errors.ts';

/** One term of a mixture: a loss name or alias, its weight (default 1) and its params. */
export interface MixtureTermSpec {
  name: string;
  weight?: number;
  [param: string]: unknown;
}

/** A resolved term: the loss, its weight, its validated params and its metric key. */
export interface MixtureTerm {
  loss: PreferenceLoss<any>;
  weight: number;
  params: LossParams;
  /** `loss/<name>`, with `#2`, `#3`... for a loss that appears more than once. */
  metric: string;
}

export interface MixtureLoss extends PreferenceLoss {
  terms: MixtureTerm[];
  /** Unweighted batch mean of each term's per-pair losses, keyed by `loss/<name>`. */
  termLosses(inputs: PairLogps): Record<string, number>;
}

const SHARED_KINDS = ['rho-shift-invariant', 'non-increasing-in-chosen', 'non-decreasing-in-rejected'] as const;

function holds(term: MixtureTerm): Invariant[] {
  return (term.loss.invariants ?? []).filter((invariant) => invariant.when?.(term.params) ?? true);
}

/** The invariants every term keeps, and the weighted value at rho = 0 when all terms declare one. */
function mixtureInvariants(terms: MixtureTerm[]): Invariant[] {
  const kept: Invariant[] = SHARED_KINDS.filter((kind) => terms.every((t) => holds(t).some((i) => i.kind === kind))).map((kind) => ({ kind }));
  const zeros = terms.map((t) => holds(t).find((i) => i.kind === 'value-at-zero-rho'));
  if (zeros.every((z) => z !== undefined)) {
    const value = terms.reduce((sum, t, i) => sum + t.weight * (zeros[i] as Extract<Invariant, { kind: 'value-at-zero-rho' }>).value(t.params), 0);
    kept.push({ kind: 'value-at-zero-rho', value: () => value });
  }
  return kept;
}

/** One term's float64 reference on a batch (the pairs as that term sees them), numbers as { loss }. */
function termReference(term: MixtureTerm, pairs: PairValues[]): ReferenceValues[] {
  const seen = term.loss.requiresReference ? pairs : pairs.map(({ refChosen: _c, refRejected: _r, ...rest }) => rest);
  const values = term.loss.batchReference ? term.loss.batchReference(seen, term.params) : seen.map((p) => term.loss.reference!(p, term.params));
  return values.map((v) => (typeof v === 'number' ? { loss: v } : v));
}

/**
 * The weighted sum of the terms' float64 references (rewards of the reward term; gradients where
 * every term gives them), or undefined when a term declares none.
 */
function mixtureReference(terms: MixtureTerm[], rewardTerm: MixtureTerm): BatchReference<LossParams> | undefined {
  if (!terms.every((t) => t.loss.reference || t.loss.batchReference)) return undefined;
  return (pairs) => {
    const parts = terms.map((t) => termReference(t, pairs));
    const rewards = parts[terms.indexOf(rewardTerm)]!;
    return pairs.map((_, i) => {
      const sum = (field: 'loss' | 'gradChosen' | 'gradRejected') =>
        parts.every((values) => values[i]![field] !== undefined) ? parts.reduce((s, values, k) => s + terms[k]!.weight * values[i]![field]!, 0) : undefined;
      const value: ReferenceValues = { loss: sum('loss')!, chosenReward: rewards[i]!.chosenReward, rejectedReward: rewards[i]!.rejectedReward };
      const [gradChosen, gradRejected] = [sum('gradChosen'), sum('gradRejected')];
      return { ...value, ...(gradChosen === undefined ? {} : { gradChosen }), ...(gradRejected === undefined ? {} : { gradRejected }) };
    });
  };
}

function resolveTerms(registry: LossRegistry, specs: MixtureTermSpec[]): MixtureTerm[] {
  if (!Array.isArray(specs) || specs.length === 0) throw new UserError('a loss mixture needs at least one term { name, weight, ...params }');
  const seen = new Map<string, number>();
  return specs.map((spec, index) => {
    const where = `loss mixture term ${index + 1}`;
    if (typeof spec?.name !== 'string') throw new UserError(`${where}: 'name' must be a loss name (got ${JSON.stringify(spec?.name)})`);
    const { name, weight = 1, ...given } = spec;
    if (typeof weight !== 'number' || !Number.isFinite(weight)) {
      throw new UserError(`${where} (${name}): 'weight' must be a finite number (got ${JSON.stringify(weight)})`);
    }
    let loss: PreferenceLoss<any>;
    let params: LossParams;
    try {
      loss = registry.get(name);
      params = resolveParams(loss, given);
    } catch (error) {
      throw new UserError(`${where} (${name}): ${(error as Error).message}`);
    }
    const count = (seen.get(loss.name) ?? 0) + 1;
    seen.set(loss.name, count);
    return { loss, weight, params, metric: `loss/${loss.name}${count > 1 ? `#${count}` : ''}` };
  });
}

/** One PreferenceLoss from a weighted list of registered losses (TRL's MPO). */
export function createMixture(registry: LossRegistry, specs: MixtureTermSpec[], options: { name?: string } = {}): MixtureLoss {
  const terms = resolveTerms(registry, specs);
  const rewardTerm = terms.find((t) => t.loss.requiresReference) ?? terms[0]!;
  const formula = terms.map((t) => `${t.weight}*${t.loss.name}`).join(' + ');
  const reference = mixtureReference(terms, rewardTerm);
  const evaluate = (inputs: PairLogps) => terms.map((t) => callLoss(t.loss, inputs, t.params));
  return {
    name: options.name ?? 'mixture',
    aliases: [],
    description: `Weighted mixture of losses: ${formula}.`,
    formula: `loss = ${formula}; rewards of ${rewardTerm.loss.name}`,
    paper: { title: 'Enhancing the Reasoning Ability of Multimodal Large Language Models via Mixed Preference Optimization', url: 'https://arxiv.org/abs/2411.10442' },
    paramsSchema: { type: 'object', properties: {} },
    requiresReference: terms.some((t) => t.loss.requiresReference),
    usesLengths: terms.some((t) => t.loss.usesLengths === true),
    batchCoupled: terms.some((t) => t.loss.batchCoupled === true),
    invariants: mixtureInvariants(terms),
    ...(reference ? { batchReference: reference } : {}),
    terms,
    compute(inputs): PairLossOutput {
      const outputs = evaluate(inputs);
      const losses = outputs.map((o, i) => tf.mul(o.losses, terms[i]!.weight)).reduce((a, b) => tf.add(a, b)) as tf.Tensor1D;
      const rewards = outputs[terms.indexOf(rewardTerm)]!;
      // Each term's own metrics, under its metric key: loss/<name>/<metric>.
      const metrics = Object.fromEntries(outputs.flatMap((o, i) => Object.entries(o.metrics ?? {}).map(([name, t]) => [`${terms[i]!.metric}/${name}`, t])));
      return { losses, chosenRewards: rewards.chosenRewards, rejectedRewards: rewards.rejectedRewards, ...(Object.keys(metrics).length ? { metrics } : {}) };
    },
    termLosses(inputs) {
      const means = tf.tidy(() => tf.stack(evaluate(inputs).map((o) => tf.mean(o.losses))).dataSync());
      return Object.fromEntries(terms.map((t, i) => [t.metric, means[i]!]));
    },
  };
}
