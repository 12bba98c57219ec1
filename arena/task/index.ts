/** The GSM8K-style synthetic arithmetic task: problems, solutions, preference pairs, scoring, GSM8K conversion. */
export { generateProblem, evaluateSteps, applyOp, TEMPLATES, type ArithProblem, type Step, type Operand, type Op } from './problems.ts';
export { formatPrompt, formatCalc, renderSolution, corruptProblem, makeArithPair, type ArithPair, type Corruption, type SolutionStyle } from './solution.ts';
export { generateArithSplits, withinDifficulty, preferenceRecord, sftRecord, toJsonl, type ArithOptions, type ArithSplits } from './dataset.ts';
export { extractAnswer, isCorrect, exactMatch, type ExactMatch } from './answer.ts';
export {
  convertGsm8k, parseGsm8kRecord, rejectGsm8kAnswer, corruptAnnotatedSolution, evaluateExpression, stripAnnotations, formatValue,
  type Gsm8kConversion, type Gsm8kConvertOptions, type Gsm8kPair,
} from './gsm8k.ts';
