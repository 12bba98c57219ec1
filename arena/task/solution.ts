/**
 * Solutions in GSM8K's style, one sentence per step with its calculation, then `#### N`:
 *
 *   plain:  `Ann has 3*4=12 apples.`
 *   gsm8k:  `Ann has 3*4 = <<3*4=12>>12 apples.`  (GSM8K's calculator annotations)
 *
 * and the rejected solutions of the Smaug / MetaMath-DPO recipe: the same solution with one
 * intermediate result made wrong, the wrong value carried into every later step and the final
 * answer, so chosen and rejected differ in a few tokens.
 */
import { shuffled, type Rng } from '../../core/index.ts';
import { evaluateSteps, type ArithProblem, type Operand } from './problems.ts';

export type SolutionStyle = 'plain' | 'gsm8k';

/** The prompt a problem is asked with (shared by the synthetic task and the GSM8K converter). */
export function formatPrompt(question: string): string {
  return `Q: ${question}\nA: `;
}

/** `a*b=r` (plain) or `a*b = <<a*b=r>>r` (gsm8k). */
export function formatCalc(expression: string, result: number, style: SolutionStyle): string {
  return style === 'gsm8k' ? `${expression} = <<${expression}=${result}>>${result}` : `${expression}=${result}`;
}

/** The solution text from the given step results (default: the correct ones). */
export function renderSolution(problem: ArithProblem, style: SolutionStyle, results?: readonly number[]): string {
  const values = results ?? evaluateSteps(problem.steps);
  if (!values) throw new Error(`problem ${problem.id} has a step out of range`);
  const operand = (o: Operand) => ('const' in o ? o.const : values[o.step]!);
  const lines = problem.steps.map((step, i) =>
    step.say.replace('{calc}', formatCalc(`${operand(step.a)}${step.op}${operand(step.b)}`, values[i]!, style)),
  );
  return `${lines.join('\n')}\n#### ${values[values.length - 1]}`;
}

/** A wrong solution: step `step`'s result replaced by `wrongValue`, later steps recomputed from it. */
export interface Corruption {
  step: number;
  correctValue: number;
  wrongValue: number;
  /** Every step's result in the wrong solution. */
  results: number[];
}

const DELTAS = Array.from({ length: 12 }, (_, i) => [i + 1, -(i + 1)]).flat();

/**
 * Picks an intermediate step (not the last, so the error propagates) and a small wrong value for
 * it such that every later step stays in range and the final answer changes. Undefined when no
 * such corruption exists.
 */
export function corruptProblem(problem: ArithProblem, rng: Rng): Corruption | undefined {
  const correct = evaluateSteps(problem.steps);
  if (!correct) return undefined;
  const last = problem.steps.length - 1;
  const candidates = last === 0 ? [0] : Array.from({ length: last }, (_, i) => i);
  for (const step of shuffled(candidates, rng)) {
    for (const delta of shuffled(DELTAS, rng)) {
      const wrongValue = correct[step]! + delta;
      if (wrongValue < 1) continue;
      const results = evaluateSteps(problem.steps, new Map([[step, wrongValue]]));
      if (results && results[last] !== correct[last]) return { step, correctValue: correct[step]!, wrongValue, results };
    }
  }
  return undefined;
}

/** A preference pair for a problem, in TRL's standard format. */
export interface ArithPair {
  id: string;
  prompt: string;
  chosen: string;
  rejected: string;
  /** The correct final answer. */
  answer: number;
  corruption: Corruption;
}

/** Chosen = the correct solution, rejected = the same with one intermediate result wrong. */
export function makeArithPair(problem: ArithProblem, rng: Rng, style: SolutionStyle = 'plain'): ArithPair | undefined {
  const corruption = corruptProblem(problem, rng);
  if (!corruption) return undefined;
  const correct = evaluateSteps(problem.steps)!;
  return {
    id: problem.id,
    prompt: formatPrompt(problem.question),
    chosen: renderSolution(problem, style, correct),
    rejected: renderSolution(problem, style, corruption.results),
    answer: correct[correct.length - 1]!,
    corruption,
  };
}
