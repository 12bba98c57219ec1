/**
 * report.md of a reproduction: the setup, the table, the verdict in words, the plots and a few
 * sample answers. Built from plain data so the tests can check it without training anything.
 */
import { formatMarkdownTable } from './table.ts';
import type { TableRow } from './summary.ts';
import type { Verdict } from './verdict.ts';

export interface ReportInput {
  profile: string;
  /** Lines describing what ran (task, model, SFT, preference settings, machine, time). */
  setup: string[];
  rows: TableRow[];
  verdict: Verdict;
  /** SVG file names, relative to the report. */
  plots: string[];
  /** Sample answers: a heading (e.g. `dpo, lr 2e-3 (high)`) and question/answer pairs. */
  samples: { heading: string; items: { prompt: string; answer: string; correct: boolean }[] }[];
  /** Degeneration of the reference solutions, for scale. */
  referenceDegeneration?: { repeated_ngrams: number; malformed: number };
}

const quote = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

/** The Markdown text of report.md. */
export function buildReport(input: ReportInput): string {
  const out: string[] = [
    `# DPO vs MinorDPO in miniature (profile \`${input.profile}\`)`,
    '',
    'The experiment of Xie et al., "Minor DPO reject penalty to increase training robustness" (arXiv:2408.09834), on a',
    'synthetic GSM8K-style arithmetic task with a tiny character-level Llama trained from scratch: SFT, then DPO and',
    'MinorDPO from the same SFT checkpoint at a low and a high learning rate (same beta, data, seed and steps).',
    '',
    '## Setup',
    '',
    ...input.setup.map((l) => `- ${l}`),
    '',
    '## Result',
    '',
    formatMarkdownTable(input.rows),
    '',
  ];
  if (input.referenceDegeneration) {
    const r = input.referenceDegeneration;
    out.push(`For scale, the reference solutions of the test split have rep-4 ${(100 * r.repeated_ngrams).toFixed(1)}% and ${(100 * r.malformed).toFixed(1)}% malformed.`, '');
  }
  out.push('## Verdict', '', ...input.verdict.lines.map((l) => `- ${l}`), '');
  if (input.plots.length) {
    out.push('## Plots', '', 'Each plot shows the methods side by side (shared y axis), one line per learning rate (mean over seeds).', '');
    for (const file of input.plots) out.push(`![${file.replace(/\.svg$/, '')}](${file})`, '');
  }
  if (input.samples.length) {
    out.push('## Sample answers (greedy, held-out test questions)', '');
    for (const sample of input.samples) {
      out.push(`### ${sample.heading}`, '');
      for (const item of sample.items) out.push(quote(`${item.prompt}${item.answer}`), '', `${item.correct ? 'correct' : 'wrong'}`, '');
    }
  }
  out.push('## Files', '', '- `results.json`: every run\'s summary and the table rows', '- `data/`: the generated splits', '- `sft/`, `runs/<method>-<lr>-seed<n>/`: each run\'s config.json, metrics.jsonl, checkpoints and final model', '');
  return out.join('\n');
}
