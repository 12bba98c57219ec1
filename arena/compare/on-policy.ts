/**
 * On-policy preference pairs, the recipe of iterative reasoning preference optimization (Pang et
 * al. 2024, arXiv:2404.19733): sample several answers per question from the SFT model at
 * temperature T; chosen = a correct sample, rejected = an incorrect one. Questions whose samples
 * are all correct or all wrong give no pair. Seeded: the same model and seed give the same pairs.
 */
import { generate, inBatches, loadModelDir, writeFileAtomic } from '../../core/index.ts';
import { isCorrect, toJsonl } from '../task/index.ts';
import type { TestItem } from './task-eval.ts';

export interface OnPolicyOptions {
  samples: number;
  temperature: number;
  maxNewTokens: number;
  batchSize: number;
  seed: number;
  log?: (line: string) => void;
}

export interface OnPolicyResult {
  pairs: { prompt: string; chosen: string; rejected: string }[];
  /** Questions asked, and how many had only correct / only wrong samples (no pair). */
  questions: number;
  allCorrect: number;
  allWrong: number;
}

/** Picks one pair per question from its samples: the first correct and the first wrong one. */
export function pairFromSamples(prompt: string, answer: number, samples: readonly { text: string; finished: boolean }[]): { prompt: string; chosen: string; rejected: string } | 'all-correct' | 'all-wrong' {
  // A sample that ran out of tokens is not a complete solution: it can only be rejected.
  const correct = samples.find((s) => s.finished && isCorrect(s.text, answer));
  const wrong = samples.find((s) => !(s.finished && isCorrect(s.text, answer)));
  if (!correct) return 'all-wrong';
  if (!wrong) return 'all-correct';
  return { prompt, chosen: correct.text, rejected: wrong.text };
}

/** Samples from the model in `modelDir` and builds the pairs of `questions`. */
export async function samplePairs(modelDir: string, questions: readonly TestItem[], options: OnPolicyOptions): Promise<OnPolicyResult> {
  const { model, tokenizer } = await loadModelDir(modelDir);
  try {
    const bos = tokenizer.bosTokenId;
    const prompts = questions.map((q) => [...(bos === undefined ? [] : [bos]), ...tokenizer.encode(q.prompt)]);
    const repeated = prompts.flatMap((p) => Array.from({ length: options.samples }, () => p));
    const texts: { text: string; finished: boolean }[] = [];
    for (const chunk of inBatches(repeated, options.batchSize)) {
      const out = await generate(model, chunk, {
        maxNewTokens: options.maxNewTokens, temperature: options.temperature, seed: options.seed + texts.length, batchSize: options.batchSize, eosTokenId: tokenizer.eosTokenId,
      });
      for (const g of out) texts.push({ text: tokenizer.decode(g.ids), finished: g.finishReason === 'eos' });
      options.log?.(`  sample: ${texts.length}/${repeated.length} answers`);
    }
    const result: OnPolicyResult = { pairs: [], questions: questions.length, allCorrect: 0, allWrong: 0 };
    questions.forEach((q, i) => {
      const picked = pairFromSamples(q.prompt, q.answer, texts.slice(i * options.samples, (i + 1) * options.samples));
      if (picked === 'all-correct') result.allCorrect += 1;
      else if (picked === 'all-wrong') result.allWrong += 1;
      else result.pairs.push(picked);
    });
    return result;
  } finally {
    model.dispose();
  }
}

/** Writes pairs as preference JSONL. */
export async function writePairs(file: string, pairs: OnPolicyResult['pairs']): Promise<void> {
  await writeFileAtomic(file, toJsonl(pairs));
}
