/**
 * The MinorDPO paper's two claims, judged from a comparison's paired statistics (arena/compare):
 * (1) at a low learning rate, preference training on math pairs raises accuracy over the SFT
 * model, MinorDPO at least as much as DPO; (2) at a high learning rate MinorDPO is more robust
 * than DPO (higher accuracy). The wording follows the intervals: a claim is "supported" only when
 * the 95% interval excludes 0 in its favour, "contradicted" when it excludes 0 against it.
 */
import { findComparison, type Analysis } from '../compare/analysis.ts';
import type { PairedDifference } from '../stats/index.ts';

export type Outcome = 'supported' | 'contradicted' | 'inconclusive';

export interface ClaimVerdict {
  claim: string;
  outcome: Outcome;
  line: string;
}

const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
const interval = (d: PairedDifference) => `${pts(d.mean)} points, 95% interval [${pts(d.low)}, ${pts(d.high)}]`;
const outcomeOf = (d: PairedDifference): Outcome => (!d.clear ? 'inconclusive' : d.mean > 0 ? 'supported' : 'contradicted');

/** The verdicts on the paper's claims, for methods named `dpo` and `minor-dpo` (others, e.g. dpop, are reported beside them). */
export function judgeClaims(analysis: Analysis, learningRates: readonly number[], methods: readonly string[]): ClaimVerdict[] {
  const low = Math.min(...learningRates), high = Math.max(...learningRates);
  const verdicts: ClaimVerdict[] = [];
  const has = (m: string) => methods.includes(m);
  for (const method of methods) {
    const d = findComparison(analysis, low, 'SFT', method);
    if (!d) continue;
    const outcome = outcomeOf(d);
    const words = outcome === 'supported' ? 'raised test accuracy over the SFT model' : outcome === 'contradicted' ? 'lowered test accuracy below the SFT model' : 'did not clearly change test accuracy';
    verdicts.push({ claim: `low rate: ${method} raises accuracy over SFT`, outcome, line: `At the low rate, ${method} ${words} (${interval(d)}).` });
  }
  if (has('dpo') && has('minor-dpo')) {
    const lowDiff = findComparison(analysis, low, 'dpo', 'minor-dpo');
    if (lowDiff) {
      // ">= DPO" holds unless MinorDPO is clearly below; "more than" needs a clear gain.
      const outcome: Outcome = lowDiff.clear ? (lowDiff.mean > 0 ? 'supported' : 'contradicted') : 'inconclusive';
      const words = outcome === 'supported' ? 'MinorDPO ended clearly above DPO' : outcome === 'contradicted' ? 'MinorDPO ended clearly below DPO (against the claim)' : 'MinorDPO and DPO are not clearly different (MinorDPO >= DPO is not contradicted, MinorDPO > DPO is not shown)';
      verdicts.push({ claim: 'low rate: MinorDPO >= DPO', outcome, line: `At the low rate, ${words}: minor-dpo - dpo = ${interval(lowDiff)}.` });
    }
    const highDiff = findComparison(analysis, high, 'dpo', 'minor-dpo');
    if (highDiff) {
      const outcome = outcomeOf(highDiff);
      const words = outcome === 'supported' ? 'MinorDPO kept clearly more accuracy than DPO: this supports the robustness claim' : outcome === 'contradicted' ? 'DPO ended clearly above MinorDPO: this goes against the robustness claim' : 'MinorDPO and DPO are not clearly different: this neither supports nor refutes the robustness claim';
      verdicts.push({ claim: 'high rate: MinorDPO > DPO', outcome, line: `At the high rate, ${words} (minor-dpo - dpo = ${interval(highDiff)}).` });
    }
  }
  if (has('dpo') && has('dpop')) {
    const d = findComparison(analysis, high, 'dpo', 'dpop');
    if (d) verdicts.push({ claim: 'high rate: DPOP > DPO', outcome: outcomeOf(d), line: `For reference, DPOP (Smaug's fix) at the high rate: dpop - dpo = ${interval(d)} (${d.clear ? (d.mean > 0 ? 'clearly better' : 'clearly worse') : 'no clear difference'}).` });
  }
  return verdicts;
}
