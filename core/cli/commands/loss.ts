/**
 * `prefopt loss --loss NAME [--set key=value ...] [--plugin PATH ...] [--input FILE]`:
 * reads JSONL pairs of log-probs, writes one JSONL line per pair with the loss, the rewards and
 * the gradient of that pair's loss with respect to the policy log-probs.
 */
import type { Command } from 'commander';
import { computeLoss, createLossRegistry, resolveParams, type PairColumns, type PreferenceLoss } from '../../loss/index.ts';
import { asObject, readJsonl, sourceName } from '../../data/jsonl.ts';
import { lineError } from '../../errors.ts';
import { selectBackend } from '../../runtime/backend.ts';
import { assignments, collect } from '../options.ts';

const LOGP_FIELDS = ['policy_chosen_logps', 'policy_rejected_logps', 'ref_chosen_logps', 'ref_rejected_logps'] as const;
const LENGTH_FIELDS = ['chosen_length', 'rejected_length'] as const;

/** Reads the pairs of a JSONL source into columns, checking every field. */
export async function readPairs(file: string | undefined, loss: PreferenceLoss<any>): Promise<PairColumns> {
  const name = sourceName(file);
  const columns = {
    policyChosen: [] as number[], policyRejected: [] as number[], refChosen: [] as number[], refRejected: [] as number[],
    chosenLength: [] as number[], rejectedLength: [] as number[],
  };
  for (const record of await readJsonl(file)) {
    const pair = asObject(record, name);
    const number = (field: string, fallback?: number): number => {
      const value = pair[field] ?? fallback;
      if (value === undefined) throw lineError(name, record.line, `missing field '${field}' (a number)`);
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw lineError(name, record.line, `field '${field}' must be a finite number (got ${JSON.stringify(value)})`);
      }
      return value;
    };
    const needsRef = loss.requiresReference;
    const [pc, pr, rc, rr] = LOGP_FIELDS.map((field) => number(field, field.startsWith('ref_') && !needsRef ? 0 : undefined));
    const [cl, rl] = LENGTH_FIELDS.map((field) => {
      const value = number(field, 1);
      if (!Number.isInteger(value) || value < 1) {
        throw lineError(name, record.line, `field '${field}' must be an integer >= 1 (got ${value})`);
      }
      return value;
    });
    columns.policyChosen.push(pc!);
    columns.policyRejected.push(pr!);
    columns.refChosen.push(rc!);
    columns.refRejected.push(rr!);
    columns.chosenLength.push(cl!);
    columns.rejectedLength.push(rl!);
  }
  return columns;
}

export function addLossCommand(program: Command): void {
  program
    .command('loss')
    .description('evaluate a loss on JSONL pairs of log-probs: per-pair loss, rewards and gradients')
    .requiredOption('--loss <name>', 'loss name or alias (see `prefopt losses`)')
    .option('--set <key=value>', 'set a loss param, e.g. --set beta=0.2 (repeatable)', collect, [])
    .option('--plugin <path>', 'load a third-party loss plugin (repeatable)', collect, [])
    .option('--input <file>', 'JSONL file of pairs (default: stdin)')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .action(async (options: { loss: string; set: string[]; plugin: string[]; input?: string; backend?: string }) => {
      const registry = await createLossRegistry({ plugins: options.plugin });
      const loss = registry.get(options.loss);
      const params = resolveParams(loss, assignments(options.set));
      const columns = await readPairs(options.input, loss);
      if (columns.policyChosen.length === 0) return;
      await selectBackend(options.backend);
      const result = computeLoss(loss, params, columns);
      const lines = Array.from(result.losses, (value, i) =>
        JSON.stringify({
          loss: value,
          chosen_reward: result.chosenRewards[i],
          rejected_reward: result.rejectedRewards[i],
          grad: { policy_chosen_logps: result.gradPolicyChosen[i], policy_rejected_logps: result.gradPolicyRejected[i] },
        }),
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
