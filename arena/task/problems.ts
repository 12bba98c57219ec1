/**
 * Short multi-step arithmetic word problems in the spirit of GSM8K, small enough for a tiny
 * character-level model: 2-3 steps, numbers under ~150, integer results only.
 *
 * A problem is a chain of steps; each step combines constants from the question and the results
 * of earlier steps. Keeping the computation explicit lets the solution writer corrupt one
 * intermediate result and propagate the wrong value (see solution.ts).
 */
import type { Rng } from '../../core/index.ts';

export type Op = '+' | '-' | '*' | '/';

/** An operand: a constant from the question, or the result of an earlier step. */
export type Operand = { const: number } | { step: number };

export interface Step {
  op: Op;
  a: Operand;
  b: Operand;
  /** The sentence of this step; `{calc}` is replaced by the calculation, e.g. `3*4=12`. */
  say: string;
}

export interface ArithProblem {
  /** Template name + constants: two problems with the same id are the same problem (names aside). */
  id: string;
  template: string;
  question: string;
  steps: Step[];
}

const NAMES = ['Ann', 'Ben', 'Cal', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal', 'Ivy', 'Jon', 'Kim', 'Leo', 'Mia', 'Ned', 'Ola', 'Pam', 'Ray', 'Sue', 'Tom', 'Una'];
const ITEMS = ['apples', 'pens', 'cards', 'eggs', 'books', 'coins', 'shells', 'stamps', 'beads', 'marbles'];

/** The result of applying `op`, or undefined when it leaves the task's range (negative, fractional, > max). */
export function applyOp(op: Op, a: number, b: number, max = 999): number | undefined {
  let r: number;
  switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/': if (b === 0 || a % b !== 0) return undefined; r = a / b; break;
  }
  return r < 0 || r > max ? undefined : r;
}

/** Each step's result, with `overrides[i]` replacing step i's result; undefined when a step leaves the range. */
export function evaluateSteps(steps: readonly Step[], overrides: ReadonlyMap<number, number> = new Map()): number[] | undefined {
  const results: number[] = [];
  for (let i = 0; i < steps.length; i++) {
    const { op, a, b } = steps[i]!;
    const value = (o: Operand) => ('const' in o ? o.const : results[o.step]!);
    const r = overrides.get(i) ?? applyOp(op, value(a), value(b));
    if (r === undefined) return undefined;
    results.push(r);
  }
  return results;
}

interface Template {
  name: string;
  /** Draws constants and names; returns undefined when the draw breaks a constraint (the caller redraws). */
  make(rng: Rng): { constants: number[]; question: string; steps: Step[] } | undefined;
}

const c = (value: number): Operand => ({ const: value });
const s = (step: number): Operand => ({ step });

function twoNames(rng: Rng): [string, string] {
  const n = rng.pick(NAMES);
  let m = rng.pick(NAMES);
  while (m === n) m = rng.pick(NAMES);
  return [n, m];
}

/** The problem templates: 2 or 3 steps each. */
export const TEMPLATES: readonly Template[] = [
  {
    name: 'bags-give-away',
    make(rng) {
      const [n] = twoNames(rng), it = rng.pick(ITEMS);
      const a = rng.int(2, 9), b = rng.int(2, 9), k = rng.int(1, a * b - 1);
      return {
        constants: [a, b, k],
        question: `${n} has ${a} bags with ${b} ${it} each. ${n} gives away ${k} ${it}. How many ${it} does ${n} have left?`,
        steps: [
          { op: '*', a: c(a), b: c(b), say: `${n} has {calc} ${it}.` },
          { op: '-', a: s(0), b: c(k), say: `${n} has {calc} ${it} left.` },
        ],
      };
    },
  },
  {
    name: 'packs-find-more',
    make(rng) {
      const [n] = twoNames(rng), it = rng.pick(ITEMS);
      const a = rng.int(2, 9), b = rng.int(2, 9), k = rng.int(1, 30);
      return {
        constants: [a, b, k],
        question: `${n} buys ${a} packs of ${b} ${it} and finds ${k} more. How many ${it} does ${n} have?`,
        steps: [
          { op: '*', a: c(a), b: c(b), say: `The packs hold {calc} ${it}.` },
          { op: '+', a: s(0), b: c(k), say: `${n} has {calc} ${it}.` },
        ],
      };
    },
  },
  {
    name: 'more-than-together',
    make(rng) {
      const [n, m] = twoNames(rng), it = rng.pick(ITEMS);
      const a = rng.int(2, 40), b = rng.int(2, 30);
      return {
        constants: [a, b],
        question: `${n} has ${a} ${it}. ${m} has ${b} more than ${n}. How many ${it} do they have together?`,
        steps: [
          { op: '+', a: c(a), b: c(b), say: `${m} has {calc} ${it}.` },
          { op: '+', a: c(a), b: s(0), say: `Together they have {calc} ${it}.` },
        ],
      };
    },
  },
  {
    name: 'share-equally',
    make(rng) {
      const [n] = twoNames(rng), it = rng.pick(ITEMS);
      const k = rng.int(2, 6), each = rng.int(2, 12), total = k * each, a = rng.int(1, total - 1);
      return {
        constants: [a, total - a, k],
        question: `${n} has ${a} ${it} and gets ${total - a} more. ${n} shares them equally among ${k} friends. How many ${it} does each friend get?`,
        steps: [
          { op: '+', a: c(a), b: c(total - a), say: `${n} has {calc} ${it}.` },
          { op: '/', a: s(0), b: c(k), say: `Each friend gets {calc} ${it}.` },
        ],
      };
    },
  },
  {
    name: 'times-as-many-lose',
    make(rng) {
      const [n, m] = twoNames(rng), it = rng.pick(ITEMS);
      const a = rng.int(2, 15), b = rng.int(2, 5), k = rng.int(1, a * b - 1);
      return {
        constants: [a, b, k],
        question: `${n} has ${a} ${it}. ${m} has ${b} times as many. ${m} loses ${k}. How many ${it} does ${m} have now?`,
        steps: [
          { op: '*', a: c(a), b: c(b), say: `${m} had {calc} ${it}.` },
          { op: '-', a: s(0), b: c(k), say: `${m} has {calc} ${it} now.` },
        ],
      };
    },
  },
  {
    name: 'pages-left',
    make(rng) {
      const [n] = twoNames(rng);
      const a = rng.int(2, 12), b = rng.int(2, 7), k = rng.int(1, 20), extra = rng.int(1, 40);
      const total = a * b + k + extra;
      return {
        constants: [a, b, k, total],
        question: `${n} reads ${a} pages a day for ${b} days, then ${k} more pages. The book has ${total} pages. How many pages are left?`,
        steps: [
          { op: '*', a: c(a), b: c(b), say: `${n} reads {calc} pages in ${b} days.` },
          { op: '+', a: s(0), b: c(k), say: `That makes {calc} pages.` },
          { op: '-', a: c(total), b: s(1), say: `{calc} pages are left.` },
        ],
      };
    },
  },
  {
    name: 'wage-spend-earn',
    make(rng) {
      const [n] = twoNames(rng);
      const a = rng.int(2, 12), b = rng.int(2, 8), k = rng.int(1, a * b - 1), d = rng.int(1, 30);
      return {
        constants: [a, b, k, d],
        question: `${n} earns ${a} dollars an hour and works ${b} hours. ${n} spends ${k} dollars, then earns ${d} more. How many dollars does ${n} have?`,
        steps: [
          { op: '*', a: c(a), b: c(b), say: `${n} earns {calc} dollars.` },
          { op: '-', a: s(0), b: c(k), say: `After spending, ${n} has {calc} dollars.` },
          { op: '+', a: s(1), b: c(d), say: `${n} has {calc} dollars.` },
        ],
      };
    },
  },
  {
    name: 'boxes-rows',
    make(rng) {
      const [n] = twoNames(rng), it = rng.pick(ITEMS);
      const a = rng.int(2, 5), b = rng.int(2, 5), k = rng.int(2, 4), g = rng.int(1, a * b * k - 1);
      return {
        constants: [a, b, k, g],
        question: `A box holds ${a} rows of ${b} ${it}. ${n} buys ${k} boxes and gives away ${g} ${it}. How many ${it} are left?`,
        steps: [
          { op: '*', a: c(a), b: c(b), say: `A box holds {calc} ${it}.` },
          { op: '*', a: s(0), b: c(k), say: `${k} boxes hold {calc} ${it}.` },
          { op: '-', a: s(1), b: c(g), say: `{calc} ${it} are left.` },
        ],
      };
    },
  },
];

/** Draws one problem (uniform over templates), redrawing until its steps stay in range. */
export function generateProblem(rng: Rng): ArithProblem {
  for (;;) {
    const template = rng.pick(TEMPLATES);
    const made = template.make(rng);
    if (!made || !evaluateSteps(made.steps)) continue;
    return { id: `${template.name}:${made.constants.join(',')}`, template: template.name, question: made.question, steps: made.steps };
  }
}
