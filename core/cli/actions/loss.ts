/**
 * What `prefopt loss` runs (options parsed by commands/loss.ts): JSONL pairs in, one JSONL line
 * per pair out, `--batch-size` pairs at a time (constant memory; waits while stdout's reader is
 * behind).
 *
 * Input fields (docs/losses.md): `policy_chosen_logps`, `policy_rejected_logps` (always);
 * `ref_chosen_logps`, `ref_rejected_logps` (required by a loss that compares with a reference,
 * ignored otherwise: a reference-free loss never receives them); `chosen_length`,
 * `rejected_length` (completion tokens; required by a loss that uses lengths). Any other field is
 * an error. `prefopt logprobs` writes exactly these fields.
 */
import { jsonlChunks, sourceName, asObject, type JsonlRecord } from '../../data/jsonl.ts';
import { lineError } from '../../errors.ts';
import { parseAssignments } from '../../config/overrides.ts';
import type { PreferenceLoss } from '../../loss/contract.ts';
import { computeLoss, type PairColumns } from '../../loss/columns.ts';
import { resolveParams } from '../../loss/params.ts';
import { loadLoss } from '../../loss/plugins.ts';
import { withOutput } from '../output.ts';

export interface LossCliOptions {
  loss: string;
  set: string[];
  plugin: string[];
  input?: string;
  /** Output file (written atomically); stdout when absent. */
  out?: string;
  batchSize: number;
  backend?: string;
}

const POLICY_FIELDS = ['policy_chosen_logps', 'policy_rejected_logps'] as const;
const REFERENCE_FIELDS = ['ref_chosen_logps', 'ref_rejected_logps'] as const;
const LENGTH_FIELDS = ['chosen_length', 'rejected_length'] as const;
/** Every field a pair may carry. */
export const PAIR_FIELDS = [...POLICY_FIELDS, ...REFERENCE_FIELDS, ...LENGTH_FIELDS] as const;

/** The largest finite float32: values beyond it cannot be computed with. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** A number as messages show it: NaN and Infinity by name, never as JSON's null. */
export function formatNumber(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value);
}

/** Reads a chunk of records into columns, checking every field against what `loss` needs. */
export function pairColumns(records: readonly JsonlRecord[], file: string, loss: PreferenceLoss<any>): PairColumns {
  const withReference = loss.requiresReference;
  const withLengths = loss.usesLengths === true;
  const columns = {
    policyChosen: new Float64Array(records.length),
    policyRejected: new Float64Array(records.length),
    ...(withReference ? { refChosen: new Float64Array(records.length), refRejected: new Float64Array(records.length) } : {}),
    chosenLength: new Float64Array(records.length).fill(1),
    rejectedLength: new Float64Array(records.length).fill(1),
  };
  records.forEach((record, row) => {
    const pair = asObject(record, file);
    const fail = (message: string): never => {
      throw lineError(file, record.line, message);
    };
    const unknown = Object.keys(pair).find((key) => !(PAIR_FIELDS as readonly string[]).includes(key));
    if (unknown !== undefined) fail(`unknown field '${unknown}'; known fields: ${PAIR_FIELDS.join(', ')}`);
    const number = (field: string, required: string | undefined): number | undefined => {
      const value = pair[field];
      if (value === undefined) {
        if (required) fail(`missing field '${field}' (${required})`);
        return undefined;
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(`field '${field}' must be a finite number (got ${formatNumber(value)})`);
      if (Math.abs(value as number) > FLOAT32_MAX) fail(`field '${field}' is ${formatNumber(value)}, outside float32's range (+-3.4e38)`);
      return value as number;
    };
    columns.policyChosen[row] = number('policy_chosen_logps', 'a number')!;
    columns.policyRejected[row] = number('policy_rejected_logps', 'a number')!;
    const reference = `loss '${loss.name}' compares with a reference: run \`prefopt logprobs\` with --reference`;
    const refChosen = number('ref_chosen_logps', withReference ? reference : undefined);
    const refRejected = number('ref_rejected_logps', withReference ? reference : undefined);
    if (columns.refChosen && columns.refRejected) {
      columns.refChosen[row] = refChosen!;
      columns.refRejected[row] = refRejected!;
    }
    for (const field of LENGTH_FIELDS) {
      const length = number(field, withLengths ? `loss '${loss.name}' uses completion lengths` : undefined);
      if (length === undefined) continue;
      if (!Number.isInteger(length) || length < 1) fail(`field '${field}' must be an integer >= 1 (got ${formatNumber(length)})`);
      columns[field === 'chosen_length' ? 'chosenLength' : 'rejectedLength'][row] = length;
    }
  });
  return columns;
}

/** The output lines of one evaluated chunk; a non-finite result is an error naming its line. */
function outputLines(loss: PreferenceLoss<any>, params: Record<string, unknown>, records: readonly JsonlRecord[], file: string): string {
  const pairName = (i: number) => `pair ${i + 1} (${file}:${records[i]!.line})`;
  const result = computeLoss(loss, params, pairColumns(records, file, loss), { pairName });
  let text = '';
  for (let i = 0; i < records.length; i++) {
    const values = {
      loss: result.losses[i]!,
      chosen_reward: result.chosenRewards[i]!,
      rejected_reward: result.rejectedRewards[i]!,
      'grad.policy_chosen_logps': result.gradPolicyChosen[i]!,
      'grad.policy_rejected_logps': result.gradPolicyRejected[i]!,
    };
    const bad = Object.entries(values).find(([, value]) => !Number.isFinite(value));
    if (bad) throw lineError(file, records[i]!.line, `loss '${loss.name}' gives ${bad[0]} = ${formatNumber(bad[1])}, not a finite number`);
    text += `${JSON.stringify({
      loss: values.loss,
      chosen_reward: values.chosen_reward,
      rejected_reward: values.rejected_reward,
      grad: { policy_chosen_logps: values['grad.policy_chosen_logps'], policy_rejected_logps: values['grad.policy_rejected_logps'] },
    })}\n`;
  }
  return text;
}

export async function runLoss(options: LossCliOptions): Promise<void> {
  const loss = await loadLoss(options.loss, { plugins: options.plugin });
  const params = resolveParams(loss, parseAssignments(options.set));
  const file = sourceName(options.input);
  let backendReady = false;
  await withOutput(options.out, async (output) => {
    for await (const records of jsonlChunks(options.input, options.batchSize)) {
      if (!backendReady) {
        const { selectBackend } = await import('../../runtime/backend.ts');
        await selectBackend(options.backend);
        backendReady = true;
      }
      await output.write(outputLines(loss, params, records, file));
    }
  });
}
