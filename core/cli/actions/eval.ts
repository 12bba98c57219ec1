/** What `prefopt eval` runs (options parsed by commands/eval.ts). */
import { formatLoadStats, loadPreferenceDataset } from '../../data/datasets.ts';
import { UserError } from '../../errors.ts';
import { parseAssignments } from '../../config/overrides.ts';
import { loadLoss } from '../../loss/plugins.ts';
import { resolveParams } from '../../loss/params.ts';
import { loadModelOrAdapter } from '../../model/peft.ts';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, selectBackend } from '../../runtime/backend.ts';
import { evaluatePreference } from '../../train/held-out.ts';
import { GradientPool, threadsFor } from '../../train/parallel/pool.ts';
import { frozenReference } from '../../train/reference.ts';

export interface EvalCliOptions {
  model: string;
  data: string;
  reference?: string;
  loss: string;
  set: string[];
  plugin: string[];
  maxLength: number;
  batchSize: number;
  backend?: string;
  workers?: number;
}

export async function runEval(options: EvalCliOptions): Promise<void> {
  const loss = await loadLoss(options.loss, { plugins: options.plugin });
  const params = resolveParams(loss, parseAssignments(options.set));
  if (loss.requiresReference && !options.reference) {
    throw new UserError(`loss '${loss.name}' compares with a reference model: pass --reference DIR (the model training started from)`);
  }
  await selectBackend(options.backend);
  process.stderr.write(`${describeBackend()}\n`);
  const { model, tokenizer } = await loadModelOrAdapter(options.model);
  const reference = options.reference ? frozenReference((await loadModelOrAdapter(options.reference)).model) : undefined;
  let pool: GradientPool | undefined;
  try {
    const dataset = await loadPreferenceDataset(options.data, tokenizer, { maxLength: options.maxLength });
    process.stderr.write(`${formatLoadStats(dataset.stats)}\n`);
    if (dataset.examples.length === 0) throw new UserError(`${options.data}: no usable pairs`);
    // Whole batches (and the reference's forward passes) on every core, as the trainer evaluates:
    // started once the data loaded, and only when there is more than one batch to spread.
    const threads = Math.min(threadsFor(options.workers, tf.getBackend()), Math.ceil(dataset.examples.length / options.batchSize));
    const spec = { kind: 'preference' as const, loss: { name: loss.name, ...params }, plugins: options.plugin };
    if (threads > 1) {
      pool = await GradientPool.start(model, spec, { threads }).catch((error: Error) => {
        process.stderr.write(`evaluation: 1 thread (the workers could not start: ${error.message})\n`);
        return undefined;
      });
    }
    const spread = pool && pool.threads > 1 ? pool : undefined;
    if (spread) process.stderr.write(`evaluation: ${spread.threads} threads (--workers)\n`);
    const metrics = evaluatePreference(model, dataset.examples, {
      loss, params, batchSize: options.batchSize, padTokenId: tokenizer.padTokenId,
      reference: reference && spread ? spread.spreadReference(reference) : reference,
      metricsOf: spread && ((shares) => spread.metrics(shares)),
    });
    process.stdout.write(`${JSON.stringify({ pairs: dataset.examples.length, loss: loss.name, ...metrics })}\n`);
  } finally {
    await pool?.dispose();
    model.dispose();
    reference?.dispose();
  }
}
