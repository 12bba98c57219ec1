/**
 * The results table, method x learning rate, as aligned text for the terminal and as Markdown for
 * report.md. A cell shows the mean over seeds, with `± se` (its standard error) when there is
 * more than one seed.
 */
import type { NumericKey, Spread, TableRow } from './summary.ts';

export interface Column {
  header: string;
  /** What the column means (the report's legend). */
  meaning: string;
  cell(row: TableRow): string;
}

function fixed(digits: number): (s: Spread) => string {
  return (s) => (Number.isNaN(s.mean) ? 'n/a' : s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.se.toFixed(digits)}` : s.mean.toFixed(digits));
}

const pct = (s: Spread) => (Number.isNaN(s.mean) ? 'n/a' : s.n > 1 ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.se).toFixed(1)}` : (100 * s.mean).toFixed(1));
/** The SFT model's number: shown once when every seed shares one model (no spread), else like the others. */
const pctOnce = (s: Spread) => (Number.isNaN(s.mean) ? 'n/a' : s.se > 0 ? pct(s) : (100 * s.mean).toFixed(1));

function metric(header: string, meaning: string, key: NumericKey, format: (s: Spread) => string): Column {
  return { header, meaning, cell: (row) => format(row.values[key]) };
}

function pair(header: string, meaning: string, before: NumericKey, after: NumericKey, formatBefore: (s: Spread) => string, formatAfter: (s: Spread) => string): Column {
  return { header, meaning, cell: (row) => `${formatBefore(row.values[before])} -> ${formatAfter(row.values[after])}` };
}

export const COLUMNS: Column[] = [
  { header: 'method', meaning: 'preference loss', cell: (row) => row.method },
  { header: 'lr', meaning: 'peak learning rate', cell: (row) => row.lrLabel },
  { header: 'seeds', meaning: 'preference runs (seeds) averaged', cell: (row) => String(row.seeds) },
  pair('test acc %', 'exact-match accuracy of greedy answers on the held-out test split: SFT model -> after the run (mean ± standard error over seeds)', 'accuracyBefore', 'accuracyAfter', pctOnce, pct),
  metric('reward acc %', 'eval split: pairs with chosen reward > rejected reward', 'rewardAccuracy', pct),
  metric('margin', 'eval split: mean rewards/chosen - rewards/rejected (beta * log-ratios)', 'margin', fixed(2)),
  metric('drift chosen', 'eval split: mean log pi(chosen) - log pi_ref(chosen), summed over tokens', 'logratioChosen', fixed(2)),
  metric('drift rejected', 'eval split: mean log pi(rejected) - log pi_ref(rejected)', 'logratioRejected', fixed(2)),
  metric('pushed below ref %', 'training: pairs whose rejected answer is already below the reference yet still gets gradient (0 for MinorDPO by design)', 'pushedBelowRef', pct),
  pair('malformed %', 'test answers not ending in `#### N` + EOS: SFT model -> after', 'malformedBefore', 'malformedAfter', pctOnce, pct),
  pair('rep-4 %', 'repeated word 4-grams in test answers: SFT model -> after', 'repeatedBefore', 'repeatedAfter', pctOnce, pct),
];

function cells(rows: readonly TableRow[], columns: readonly Column[]): string[][] {
  return rows.map((row) => columns.map((c) => c.cell(row)));
}

/** The table as aligned plain text (for the terminal). */
export function formatTextTable(rows: readonly TableRow[], columns: readonly Column[] = COLUMNS): string {
  const body = cells(rows, columns);
  const widths = columns.map((c, i) => Math.max(c.header.length, ...body.map((r) => r[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The table as Markdown, with a legend of the columns. */
export function formatMarkdownTable(rows: readonly TableRow[], columns: readonly Column[] = COLUMNS): string {
  const escape = (v: string) => v.replaceAll('|', '\\|');
  const lines = [
    `| ${columns.map((c) => escape(c.header)).join(' | ')} |`,
    `| ${columns.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...cells(rows, columns).map((r) => `| ${r.map(escape).join(' | ')} |`),
  ];
  const legend = columns.slice(2).map((c) => `- **${c.header}**: ${c.meaning}`);
  return [...lines, '', ...legend].join('\n');
}
