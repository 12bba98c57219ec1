/**
 * What the table says about the paper's claim, in words: at the highest learning rate, does DPO
 * lose test accuracy, or produce malformed answers, where MinorDPO does not? The wording follows
 * the numbers, including when they do not support the claim. A difference counts as clear when it
 * exceeds twice its standard error (binomial error of an accuracy over the test questions and
 * seeds, or the seed spread when that is larger).
 */
import type { TableRow } from './summary.ts';

export interface Verdict {
  /**
   * 'supported': at the high rate MinorDPO ends clearly above DPO in accuracy, or not clearly
   * below it with clearly fewer malformed answers; 'contradicted': clearly below; else 'inconclusive'.
   */
  outcome: 'supported' | 'contradicted' | 'inconclusive';
  /** Sentences for the report and the terminal. */
  lines: string[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`;

/** Standard error of an accuracy p measured on n questions (a floor of 1/n keeps it above 0). */
function binomialSe(p: number, n: number): number {
  return Math.max(Math.sqrt((p * (1 - p)) / n), 1 / n);
}

/** The verdict from the table rows, with `testSize` questions per evaluation. */
export function verdict(rows: readonly TableRow[], testSize: number, methods = { baseline: 'dpo', robust: 'minor-dpo' }): Verdict {
  const highest = (method: string) => rows.filter((r) => r.method === method).sort((a, b) => b.learningRate - a.learningRate)[0];
  const dpo = highest(methods.baseline);
  const minor = highest(methods.robust);
  if (!dpo || !minor) return { outcome: 'inconclusive', lines: [`The table lacks ${!dpo ? methods.baseline : methods.robust} runs; nothing to compare.`] };
  const lines: string[] = [];
  const describe = (row: TableRow) => {
    const before = row.values.accuracyBefore.mean, after = row.values.accuracyAfter.mean;
    const malformed = row.values.malformedAfter.mean - row.values.malformedBefore.mean;
    return `${row.method} at lr ${row.learningRate.toExponential(0)} (${row.lrLabel}): test accuracy ${pct(before)} -> ${pct(after)} (${signed(after - before)}), malformed answers ${signed(malformed)}, rejected drift ${row.values.logratioRejected.mean.toFixed(1)} nats, chosen drift ${row.values.logratioChosen.mean.toFixed(1)} nats.`;
  };
  lines.push(describe(dpo), describe(minor));
  const a = dpo.values.accuracyAfter, b = minor.values.accuracyAfter;
  const n = testSize * Math.max(1, Math.min(a.n, b.n));
  const se = Math.max(
    Math.sqrt(binomialSe(a.mean, n) ** 2 + binomialSe(b.mean, n) ** 2),
    Math.sqrt(((a.sd || 0) ** 2) / Math.max(1, a.n) + ((b.sd || 0) ** 2) / Math.max(1, b.n)),
  );
  const diff = b.mean - a.mean;
  // Degeneration: the share of malformed answers after the run (lower is better).
  const ma = dpo.values.malformedAfter.mean, mb = minor.values.malformedAfter.mean;
  const seMalformed = Math.sqrt(binomialSe(ma, n) ** 2 + binomialSe(mb, n) ** 2);
  const lessDegenerate = ma - mb > 2 * seMalformed;
  const dpoDegraded = a.mean < dpo.values.accuracyBefore.mean - 2 * binomialSe(dpo.values.accuracyBefore.mean, n);
  let outcome: Verdict['outcome'] = 'inconclusive';
  if (diff > 2 * se || (diff >= -2 * se && lessDegenerate)) outcome = 'supported';
  else if (diff < -2 * se) outcome = 'contradicted';
  lines.push(
    dpoDegraded
      ? `DPO degraded at the high learning rate: its accuracy fell clearly below the SFT model's.`
      : `DPO did not clearly degrade at the high learning rate in this miniature run (its accuracy is not more than two standard errors below the SFT model's).`,
  );
  lines.push(
    lessDegenerate
      ? `DPO's answers degenerated more: ${pct(ma)} malformed after DPO vs ${pct(mb)} after MinorDPO (a clear difference).`
      : `Malformed answers after the run: DPO ${pct(ma)}, MinorDPO ${pct(mb)} (no clear difference in MinorDPO's favour).`,
  );
  const comparison = `MinorDPO - DPO at the high rate: ${signed(diff)} accuracy (standard error ${(100 * se).toFixed(1)} points).`;
  if (outcome === 'supported') {
    lines.push(`${comparison} ${diff > 2 * se ? 'MinorDPO kept clearly more accuracy' : 'Accuracy is not clearly different, but MinorDPO kept its answers well-formed'}: this supports the paper's claim that MinorDPO is more robust at high learning rates.`);
  }
  else if (outcome === 'contradicted') lines.push(`${comparison} This goes against the paper's claim: DPO ended clearly above MinorDPO here.`);
  else lines.push(`${comparison} The difference is within two standard errors: this run neither supports nor refutes the paper's claim.`);
  return { outcome, lines };
}
