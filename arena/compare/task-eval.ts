/**
 * The task evaluation: answer the held-out test questions greedily (batched, KV cache) and score
 * the final number against the reference (exact match), plus degeneration of the generations.
 * `taskMetricHook` plugs it into the trainer, which logs the numbers as `eval_<name>`.
 */
import { generate, inBatches, type CausalLM, type HfTokenizer, type TaskMetricHook } from '../../core/index.ts';
import { exactMatch, isCorrect } from '../task/index.ts';
import { degeneration } from './degeneration.ts';

/** A test question and its correct final answer. */
export interface TestItem {
  prompt: string;
  answer: number;
}

export interface TaskEvalOptions {
  /** Most tokens per answer (the longest reference solution plus some slack). */
  maxNewTokens: number;
  /** Prompts per generation batch. */
  batchSize: number;
  /** Where to say how far generation got (one line per batch); silent when absent. */
  log?: (line: string) => void;
}

export interface TaskEvalResult {
  metrics: { accuracy: number; repeated_ngrams: number; malformed: number; no_eos: number };
  /** Per question, in test order: 1 when the final answer is right, else 0 (the unit of the paired statistics). */
  correct: number[];
  /** The generated answers, in test order. */
  generations: { text: string; finishReason: 'eos' | 'length' }[];
}

/** Generates an answer to every test question and scores them. */
export async function evaluateTask(model: CausalLM, tokenizer: HfTokenizer, items: readonly TestItem[], options: TaskEvalOptions): Promise<TaskEvalResult> {
  const bos = tokenizer.bosTokenId;
  const prompts = items.map((item) => [...(bos === undefined ? [] : [bos]), ...tokenizer.encode(item.prompt)]);
  const generations: TaskEvalResult['generations'] = [];
  const started = Date.now();
  for (const chunk of inBatches(prompts, options.batchSize)) {
    const out = await generate(model, chunk, { maxNewTokens: options.maxNewTokens, batchSize: options.batchSize, eosTokenId: tokenizer.eosTokenId });
    for (const g of out) generations.push({ text: tokenizer.decode(g.ids), finishReason: g.finishReason });
    options.log?.(`  generate: ${generations.length}/${prompts.length} test answers (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  const accuracy = exactMatch(generations.map((g) => g.text), items.map((i) => i.answer)).accuracy;
  const correct = generations.map((g, i) => (isCorrect(g.text, items[i]!.answer) ? 1 : 0));
  return { metrics: { accuracy, ...degeneration(generations) }, correct, generations };
}

/**
 * A trainer hook that runs the task evaluation at every evaluation, on `items` or on the items
 * `items(step)` picks (e.g. a subset for the evaluations during training, all at the end);
 * none (an empty list) skips the evaluation; `onResult` sees each result (e.g. to keep the last generations as samples).
 */
export function taskMetricHook(
  items: readonly TestItem[] | ((step: number) => readonly TestItem[]),
  options: TaskEvalOptions,
  onResult?: (result: TaskEvalResult, step: number) => void,
): TaskMetricHook {
  return async ({ model, tokenizer, step }) => {
    const picked = typeof items === 'function' ? items(step) : items;
    if (picked.length === 0) return {};
    const result = await evaluateTask(model, tokenizer, picked, options);
    onResult?.(result, step);
    return { ...result.metrics };
  };
}
