/**
 * `prefopt reproduce`: the MinorDPO paper (Xie et al., arXiv:2408.09834) in miniature — a
 * comparison (arena/compare) of a profile's config, with the paper's claims judged in words.
 */
import path from 'node:path';
import { resolveCompareConfig } from '../compare/config.ts';
import { runComparison, type CompareResult } from '../compare/run.ts';
import { judgeClaims } from './claims.ts';
import { profileNamed } from './profiles.ts';

export interface ReproduceOptions {
  profile: string;
  outDir: string;
  pairs?: 'close' | 'on-policy';
  backend?: string;
  workers?: number;
}

const INTRO = [
  'The experiment of Xie et al., "Minor DPO reject penalty to increase training robustness" (arXiv:2408.09834), on a synthetic',
  'GSM8K-style arithmetic task with a tiny Llama trained from scratch: SFT, then DPO, MinorDPO and DPOP (Smaug, arXiv:2402.13228)',
  'from the same SFT model at a low and a high learning rate (same beta, data and steps; several seeds). The paper claims that',
  'preference training on math pairs raises accuracy, MinorDPO at least as much as DPO, and that MinorDPO is more robust at high',
  'learning rates.',
];

export async function reproduce(options: ReproduceOptions): Promise<CompareResult> {
  const raw = profileNamed(options.profile);
  if (options.pairs) (raw.task as Record<string, unknown>).pairs = options.pairs;
  if (options.backend) raw.backend = options.backend;
  const source = `profile ${options.profile}`;
  const { config } = await resolveCompareConfig(raw, { source, baseDir: process.cwd() });
  return runComparison({
    config,
    outDir: path.resolve(options.outDir),
    workers: options.workers,
    title: `The MinorDPO paper in miniature (profile \`${options.profile}\`, ${config.task.pairs} pairs)`,
    intro: INTRO,
    sections: (analysis, { methods, learningRates }) => {
      const verdicts = judgeClaims(analysis, learningRates, methods);
      return verdicts.length ? [{ heading: "The paper's claims", lines: verdicts.map((v) => `${v.line} [${v.outcome}]`) }] : [];
    },
  });
}
