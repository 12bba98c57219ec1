/**
 * The model card (README.md) of a saved model or adapter, as the Hugging Face Hub reads one: YAML
 * front matter (base_model, library_name, tags), then what was trained from what, on which data,
 * how, for how long, and the final metrics.
 */
import path from 'node:path';
import YAML from 'yaml';
import type { PrefoptConfig } from '../config/types.ts';
import { describeStage } from './stages.ts';

export interface ModelCardFacts {
  config: PrefoptConfig;
  /** Optimizer steps taken. */
  steps: number;
  /** Tokens trained on (num_tokens). */
  numTokens: number;
  /** Last logged training metrics and the final evaluation (eval_*). */
  train: Record<string, number>;
  eval: Record<string, number>;
  /** Trainable and total parameters. */
  trainableParameters: number;
  totalParameters: number;
}

function metricsTable(metrics: Record<string, number>): string {
  const rows = Object.entries(metrics).map(([k, v]) => `| ${k} | ${Number.isInteger(v) ? v : v.toPrecision(5)} |`);
  return ['| metric | value |', '|---|---|', ...rows].join('\n');
}

/** The README.md text for the model a run saved. */
export function modelCard(facts: ModelCardFacts): string {
  const { config } = facts;
  const t = config.train;
  const lora = config.model.lora;
  const base = config.model.path ?? 'a randomly initialized model (model.init)';
  const lossNames = config.stage === 'sft' ? ['sft'] : (Array.isArray(config.loss) ? config.loss : [config.loss]).map((l) => l.name);
  const front = YAML.stringify({
    ...(config.model.path ? { base_model: config.model.path } : {}),
    library_name: lora ? 'peft' : 'transformers',
    tags: ['prefopt', ...lossNames, ...(lora ? ['lora'] : [])],
  });
  const setup: Array<[string, string]> = [
    ['base model', base],
    ['training', describeStage(config)],
    ['parameters', lora ? `LoRA r=${lora.r}, alpha=${lora.alpha}, dropout=${lora.dropout} on ${lora.targetModules.join(', ')}: ${facts.trainableParameters.toLocaleString('en-US')} trainable of ${facts.totalParameters.toLocaleString('en-US')}` : `all ${facts.totalParameters.toLocaleString('en-US')}`],
    ['reference', config.reference.path ?? (lora ? 'the base model (adapters off)' : 'the starting model')],
    ['train data', path.basename(config.data.train)],
    ['eval data', config.data.eval ? path.basename(config.data.eval) : 'none'],
    ['steps', `${facts.steps} optimizer steps, ${facts.numTokens.toLocaleString('en-US')} tokens`],
    ['optimization', `AdamW lr ${t.learningRate} (${t.schedule}), batch ${t.batchSize} x ${t.gradientAccumulation} accumulation, max grad norm ${t.maxGradNorm}, weight decay ${t.weightDecay}, seed ${t.seed}`],
  ];
  const load = lora
    ? ['```python', 'from peft import AutoPeftModelForCausalLM', 'model = AutoPeftModelForCausalLM.from_pretrained("path/to/this/directory")', '```', '', 'or fold the adapter into the base model: `prefopt merge --adapter DIR --out MERGED`.']
    : ['```python', 'from transformers import AutoModelForCausalLM', 'model = AutoModelForCausalLM.from_pretrained("path/to/this/directory")', '```'];
  return [
    `---\n${front}---`,
    '',
    '# Model card',
    '',
    'Trained with [prefopt](https://github.com/prefopt/prefopt).',
    '',
    '| | |',
    '|---|---|',
    ...setup.map(([k, v]) => `| ${k} | ${v.replaceAll('|', '\\|')} |`),
    '',
    '## Final metrics',
    '',
    Object.keys(facts.train).length ? `Training (last logged step):\n\n${metricsTable(facts.train)}` : 'No training metrics were logged.',
    '',
    Object.keys(facts.eval).length ? `Evaluation:\n\n${metricsTable(facts.eval)}` : 'No evaluation split.',
    '',
    '## Loading',
    '',
    ...load,
    '',
  ].join('\n');
}
