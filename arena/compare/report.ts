/**
 * report.md of a comparison: the setup, the table (mean ± standard error over seeds), the paired
 * comparisons in words, any extra verdict section (the paper's claims, for `reproduce`), the plots
 * and a few sample answers. Built from plain data so the tests can check it without training.
 */
import { formatMarkdownTable } from './table.ts';
import type { TableRow } from './summary.ts';

export interface ReportInput {
  title: string;
  /** Paragraphs under the title (what is compared and why). */
  intro?: string[];
  /** Lines describing what ran (task, model, SFT, preference settings, machine, time). */
  setup: string[];
  rows: TableRow[];
  /** The paired comparisons, one sentence each. */
  comparisons: string[];
  /** Extra sections, e.g. the paper's claims: a heading and its lines. */
  sections?: { heading: string; lines: string[] }[];
  /** SVG file names, relative to the report. */
  plots: string[];
  /** Sample answers: a heading and question/answer pairs. */
  samples: { heading: string; items: { prompt: string; answer: string; correct: boolean }[] }[];
  /** Degeneration of the reference solutions, for scale. */
  referenceDegeneration?: { repeated_ngrams: number; malformed: number };
}

const quote = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');

/** The Markdown text of report.md. */
export function buildReport(input: ReportInput): string {
  const out: string[] = [`# ${input.title}`, ''];
  if (input.intro?.length) out.push(...input.intro, '');
  out.push('## Setup', '', ...input.setup.map((l) => `- ${l}`), '', '## Result', '', formatMarkdownTable(input.rows), '');
  if (input.referenceDegeneration) {
    const r = input.referenceDegeneration;
    out.push(`For scale, the reference solutions of the test split have rep-4 ${(100 * r.repeated_ngrams).toFixed(1)}% and ${(100 * r.malformed).toFixed(1)}% malformed.`, '');
  }
  out.push(
    '## Paired comparisons',
    '',
    'Each compares two methods (or a method and its SFT start) on the same units: every seed x every test question, 1 for a right final answer. The interval is a 95% paired bootstrap over seeds and questions (2000 resamples, seeded); a difference is called clear only when the interval excludes 0. The sign test counts the units where one is right and the other wrong.',
    '',
    ...input.comparisons.map((l) => `- ${l}`),
    '',
  );
  for (const section of input.sections ?? []) out.push(`## ${section.heading}`, '', ...section.lines.map((l) => `- ${l}`), '');
  if (input.plots.length) {
    out.push('## Plots', '');
    for (const file of input.plots) out.push(`![${file.replace(/\.svg$/, '')}](${file})`, '');
  }
  if (input.samples.length) {
    out.push('## Sample answers (greedy, held-out test questions, first seed)', '');
    for (const sample of input.samples) {
      out.push(`### ${sample.heading}`, '');
      for (const item of sample.items) out.push(quote(`${item.prompt}${item.answer}`), '', `${item.correct ? 'correct' : 'wrong'}`, '');
    }
  }
  out.push(
    '## Files',
    '',
    '- `results.json`: the config, the SFT model\'s numbers, every run\'s per-seed numbers and per-question scores, the table rows and the comparisons',
    '- `data/`: the generated splits and the task tokenizer',
    '- `sft/`: the SFT run; `runs/<method>-lr<lr>-seed<n>/`: spec.json, log.txt, result.json and `train/` (the run\'s config.json, metrics.jsonl, plots, final model)',
    '',
  );
  return out.join('\n');
}
