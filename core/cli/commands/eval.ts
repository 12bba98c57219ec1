/**
 * `prefopt eval --model DIR --data FILE [--reference DIR] [--loss NAME --set k=v]`: reward
 * accuracy, margins and loss of a model on a preference file. Implicit rewards compare the model
 * with a reference (the model it was trained from); a reference-free loss needs none.
 */
import type { Command } from 'commander';
import { formatLoadStats, loadPreferenceDataset } from '../../data/datasets.ts';
import { UserError } from '../../errors.ts';
import { createLossRegistry, resolveParams } from '../../loss/index.ts';
import { loadModelDir } from '../../model/checkpoint.ts';
import { describeBackend, selectBackend } from '../../runtime/backend.ts';
import { evaluatePreference } from '../../train/held-out.ts';
import { frozenReference } from '../../train/reference.ts';
import { assignments, collect } from '../options.ts';

export function addEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('reward accuracy, margins and loss of a model on a preference JSONL file')
    .requiredOption('--model <dir>', 'model directory (Hugging Face layout)')
    .requiredOption('--data <file>', 'preference JSONL (prompt, chosen, rejected)')
    .option('--reference <dir>', 'reference model directory (the model training started from)')
    .option('--loss <name>', 'loss to report (default dpo)', 'dpo')
    .option('--set <key=value>', 'loss param, e.g. --set beta=0.1 (repeatable)', collect, [])
    .option('--plugin <path>', 'load a third-party loss plugin (repeatable)', collect, [])
    .option('--max-length <n>', 'longest sequence in tokens', (v) => Number.parseInt(v, 10), 512)
    .option('--batch-size <n>', 'pairs per batch', (v) => Number.parseInt(v, 10), 16)
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow, webgpu')
    .action(async (options: { model: string; data: string; reference?: string; loss: string; set: string[]; plugin: string[]; maxLength: number; batchSize: number; backend?: string }) => {
      const registry = await createLossRegistry({ plugins: options.plugin });
      const loss = registry.get(options.loss);
      const params = resolveParams(loss, assignments(options.set));
      if (loss.requiresReference && !options.reference) {
        throw new UserError(`loss '${loss.name}' compares with a reference model: pass --reference DIR (the model training started from)`);
      }
      await selectBackend(options.backend);
      process.stderr.write(`${describeBackend()}\n`);
      const { model, tokenizer } = await loadModelDir(options.model);
      const reference = options.reference ? frozenReference((await loadModelDir(options.reference)).model) : undefined;
      try {
        const dataset = await loadPreferenceDataset(options.data, tokenizer, { maxLength: options.maxLength });
        process.stderr.write(`${formatLoadStats(dataset.stats)}\n`);
        if (dataset.examples.length === 0) throw new UserError(`${options.data}: no usable pairs`);
        const metrics = evaluatePreference(model, dataset.examples, { loss, params, reference, batchSize: options.batchSize, padTokenId: tokenizer.padTokenId });
        process.stdout.write(`${JSON.stringify({ pairs: dataset.examples.length, loss: loss.name, ...metrics })}\n`);
      } finally {
        model.dispose();
        reference?.dispose();
      }
    });
}
