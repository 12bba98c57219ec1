/**
 * The experiment's data, generated from a seed into the run folder: `data/{sft-train,sft-eval,
 * train,eval,test}.jsonl` (SFT prompt/completion records with the correct solution; preference
 * pairs with chosen = correct, rejected = one intermediate result wrong), and the task tokenizer
 * (`data/tokenizer/`: characters, with numbers 0-99 and the task's words as single tokens).
 */
import path from 'node:path';
import { writeFileAtomic } from '../../core/index.ts';
import { generateArithSplits, preferenceRecord, sftRecord, toJsonl } from '../task/index.ts';
import type { ReproduceProfile } from './profiles.ts';
import { writeTaskTokenizer } from '../task/tokenizer.ts';
import type { TestItem } from './task-eval.ts';

export interface ExperimentData {
  dir: string;
  files: { sftTrain: string; sftEval: string; train: string; eval: string; test: string };
  /** The task tokenizer's directory (tokenizer.json), built from the texts of every split. */
  tokenizerDir: string;
  /** Held-out test questions and answers (never trained on). */
  test: TestItem[];
  /** The test split's reference solutions (for the degeneration baseline). */
  testSolutions: string[];
  counts: { sftTrain: number; preferenceTrain: number; eval: number; test: number };
}

/**
 * Generates the splits of a profile and writes them under `runDir/data`. The train split is dealt
 * in two: SFT problems first, then the preference problems, so preference training asks the SFT
 * model about problems it has not seen.
 */
export async function writeExperimentData(runDir: string, profile: ReproduceProfile): Promise<ExperimentData> {
  const dir = path.join(runDir, 'data');
  const { sftTrain, preferenceTrain, ...rest } = profile.data;
  const all = generateArithSplits({ ...rest, train: sftTrain + preferenceTrain });
  const splits = { ...all, sft: all.train.slice(0, sftTrain), train: all.train.slice(sftTrain) };
  const files = {
    sftTrain: path.join(dir, 'sft-train.jsonl'),
    sftEval: path.join(dir, 'sft-eval.jsonl'),
    train: path.join(dir, 'train.jsonl'),
    eval: path.join(dir, 'eval.jsonl'),
    test: path.join(dir, 'test.jsonl'),
  };
  await writeFileAtomic(files.sftTrain, toJsonl(splits.sft.map(sftRecord)));
  await writeFileAtomic(files.sftEval, toJsonl(splits.eval.map(sftRecord)));
  await writeFileAtomic(files.train, toJsonl(splits.train.map(preferenceRecord)));
  await writeFileAtomic(files.eval, toJsonl(splits.eval.map(preferenceRecord)));
  await writeFileAtomic(files.test, toJsonl(splits.test.map((p) => ({ ...preferenceRecord(p), answer: p.answer }))));
  const tokenizerDir = path.join(dir, 'tokenizer');
  await writeTaskTokenizer(tokenizerDir, [...splits.sft, ...splits.train, ...splits.eval, ...splits.test].flatMap((p) => [p.prompt, p.chosen, p.rejected]));
  return {
    dir,
    files,
    tokenizerDir,
    test: splits.test.map((p) => ({ prompt: p.prompt, answer: p.answer })),
    testSolutions: splits.test.map((p) => p.chosen),
    counts: { sftTrain: splits.sft.length, preferenceTrain: splits.train.length, eval: splits.eval.length, test: splits.test.length },
  };
}
