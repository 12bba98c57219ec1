/**
 * The synthetic task's splits: unique problems (by template and numbers, names aside) dealt into
 * test, eval and train in that order, so the held-out splits do not change when only the train
 * size does, and no problem appears in two splits.
 */
import { createRng, UserError } from '../../core/index.ts';
import { evaluateSteps, generateProblem, type ArithProblem } from './problems.ts';
import { makeArithPair, type ArithPair, type SolutionStyle } from './solution.ts';

export interface ArithOptions {
  seed: number;
  train: number;
  eval: number;
  test: number;
  /** Solution style (default 'plain': `3*4=12`; 'gsm8k' adds `<<3*4=12>>` annotations). */
  style?: SolutionStyle;
  /**
   * Give up (UserError) after this many draws in a row find no new problem (default 20000). The
   * space holds about 140k distinct problems; asking for most of them gets slow, more fails.
   */
  maxMisses?: number;
  /**
   * Difficulty: keep only problems whose numbers (question constants and every step's result)
   * are at most this (default: no limit, numbers up to ~150). E.g. 20 for a tiny model.
   */
  maxNumber?: number;
  /** Difficulty: keep only problems of at most this many steps (default: 2-3 steps). */
  maxSteps?: number;
}

export interface ArithSplits {
  train: ArithPair[];
  eval: ArithPair[];
  test: ArithPair[];
}

const MAX_CONSECUTIVE_MISSES = 20_000;

/** Whether a problem is within the difficulty limits of the options (always, when none are set). */
export function withinDifficulty(problem: ArithProblem, options: Pick<ArithOptions, 'maxNumber' | 'maxSteps'>): boolean {
  if (options.maxSteps !== undefined && problem.steps.length > options.maxSteps) return false;
  if (options.maxNumber === undefined) return true;
  const constants = problem.steps.flatMap((s) => [s.a, s.b]).flatMap((o) => ('const' in o ? [o.const] : []));
  return [...constants, ...(evaluateSteps(problem.steps) ?? [Infinity])].every((n) => n <= options.maxNumber!);
}

/** Generates the three splits deterministically from the seed. */
export function generateArithSplits(options: ArithOptions): ArithSplits {
  const rng = createRng(options.seed);
  const seen = new Set<string>();
  const total = options.train + options.eval + options.test;
  const draw = (count: number): ArithPair[] => {
    const out: ArithPair[] = [];
    let misses = 0;
    while (out.length < count) {
      // Many draws in a row that find nothing new: the problem space is (nearly) exhausted.
      if (misses > (options.maxMisses ?? MAX_CONSECUTIVE_MISSES)) {
        throw new UserError(`cannot draw ${total} distinct arithmetic problems (found ${seen.size}); ask for fewer`);
      }
      const problem = generateProblem(rng);
      const pair = seen.has(problem.id) || !withinDifficulty(problem, options) ? undefined : makeArithPair(problem, rng, options.style);
      if (!pair) {
        misses += 1;
        continue;
      }
      misses = 0;
      seen.add(problem.id);
      out.push(pair);
    }
    return out;
  };
  const test = draw(options.test);
  const evalSplit = draw(options.eval);
  const train = draw(options.train);
  return { train, eval: evalSplit, test };
}

/** TRL standard preference record. */
export function preferenceRecord(pair: ArithPair): { prompt: string; chosen: string; rejected: string } {
  return { prompt: pair.prompt, chosen: pair.chosen, rejected: pair.rejected };
}

/** TRL prompt-completion (SFT) record: the correct solution. */
export function sftRecord(pair: ArithPair): { prompt: string; completion: string } {
  return { prompt: pair.prompt, completion: pair.chosen };
}

/** Records as JSONL text (one JSON object a line, trailing newline). */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
