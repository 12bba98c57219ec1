/**
 * A comparison's data, generated from the task seed into `<out>/data`: `sft-train.jsonl`,
 * `sft-eval.jsonl` (prompt/completion with the correct solution), the close preference pairs
 * `close-train.jsonl`, `close-eval.jsonl` (chosen = correct, rejected = one intermediate result
 * wrong, carried to the answer), `test.jsonl`, and the task tokenizer (`data/tokenizer/`:
 * characters, with numbers 0-99 and the task's words as single tokens). The SFT, preference and
 * test problems are disjoint, so preference training asks the SFT model about problems it has not
 * seen.
 */
import path from 'node:path';
import { writeFileAtomic } from '../../core/index.ts';
import { generateArithSplits, preferenceRecord, sftRecord, toJsonl } from '../task/index.ts';
import { writeTaskTokenizer } from '../task/tokenizer.ts';
import type { CompareConfig } from './config.ts';
import type { TestItem } from './task-eval.ts';

export interface ComparisonData {
  dir: string;
  files: { sftTrain: string; sftEval: string; closeTrain: string; closeEval: string; test: string };
  tokenizerDir: string;
  /** Held-out test questions and answers (never trained on). */
  test: TestItem[];
  /** Preference questions (for on-policy sampling), train and eval. */
  preferenceQuestions: { train: TestItem[]; eval: TestItem[] };
  /** The test split's reference solutions (for the degeneration baseline). */
  testSolutions: string[];
  counts: { sftTrain: number; preferenceTrain: number; eval: number; test: number };
}

/** Generates the task's splits and writes them (deterministic: the same seed writes the same files). */
export async function writeComparisonData(outDir: string, task: CompareConfig['task']): Promise<ComparisonData> {
  const dir = path.join(outDir, 'data');
  const { sftTrain, preferenceTrain, pairs: _pairs, samples: _samples, temperature: _temperature, ...rest } = task;
  const all = generateArithSplits({ ...rest, train: sftTrain + preferenceTrain });
  const splits = { ...all, sft: all.train.slice(0, sftTrain), train: all.train.slice(sftTrain) };
  const files = {
    sftTrain: path.join(dir, 'sft-train.jsonl'),
    sftEval: path.join(dir, 'sft-eval.jsonl'),
    closeTrain: path.join(dir, 'close-train.jsonl'),
    closeEval: path.join(dir, 'close-eval.jsonl'),
    test: path.join(dir, 'test.jsonl'),
  };
  await writeFileAtomic(files.sftTrain, toJsonl(splits.sft.map(sftRecord)));
  await writeFileAtomic(files.sftEval, toJsonl(splits.eval.map(sftRecord)));
  await writeFileAtomic(files.closeTrain, toJsonl(splits.train.map(preferenceRecord)));
  await writeFileAtomic(files.closeEval, toJsonl(splits.eval.map(preferenceRecord)));
  await writeFileAtomic(files.test, toJsonl(splits.test.map((p) => ({ ...preferenceRecord(p), answer: p.answer }))));
  const tokenizerDir = path.join(dir, 'tokenizer');
  await writeTaskTokenizer(tokenizerDir, [...splits.sft, ...splits.train, ...splits.eval, ...splits.test].flatMap((p) => [p.prompt, p.chosen, p.rejected]));
  const item = (p: { prompt: string; answer: number }) => ({ prompt: p.prompt, answer: p.answer });
  return {
    dir,
    files,
    tokenizerDir,
    test: splits.test.map(item),
    preferenceQuestions: { train: splits.train.map(item), eval: splits.eval.map(item) },
    testSolutions: splits.test.map((p) => p.chosen),
    counts: { sftTrain: splits.sft.length, preferenceTrain: splits.train.length, eval: splits.eval.length, test: splits.test.length },
  };
}
