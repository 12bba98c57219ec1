/**
 * The JSON Schema of a run config. One schema validates a whole config: the sections are plain
 * schemas with defaults; `loss` gets one `if/then` branch per registered loss, so a loss's params
 * are checked by its own params schema (defaults filled, unknown keys rejected) like every other
 * key. Editors autocomplete configs from the exported schema (`prefopt config schema`).
 */
import type { LossRegistry, PreferenceLoss } from '../loss/index.ts';

type Schema = Record<string, unknown>;

const int = (min: number, extra: Schema = {}): Schema => ({ type: 'integer', minimum: min, ...extra });

export const MODEL_INIT_SCHEMA: Schema = {
  type: 'object',
  description: "Hugging Face config.json fields of a fresh, randomly initialized model (Llama; 'qwen2' adds q/k/v biases).",
  additionalProperties: false,
  properties: {
    model_type: { enum: ['llama', 'qwen2'], default: 'llama', description: 'Architecture.' },
    vocab_size: int(1, { maximum: 4_194_304, description: "Vocabulary size; the tokenizer's when absent." }),
    hidden_size: int(1, { maximum: 65_536, default: 128, description: 'Width of the residual stream.' }),
    intermediate_size: int(1, { maximum: 262_144, default: 384, description: 'Width of the SwiGLU MLP.' }),
    num_hidden_layers: int(1, { maximum: 1024, default: 4, description: 'Transformer blocks.' }),
    num_attention_heads: int(1, { maximum: 1024, default: 4, description: 'Query heads.' }),
    num_key_value_heads: int(1, { maximum: 1024, description: 'Key/value heads (grouped-query attention); num_attention_heads when absent.' }),
    head_dim: int(2, { maximum: 4096, description: 'Per-head width; hidden_size / num_attention_heads when absent.' }),
    rms_norm_eps: { type: 'number', exclusiveMinimum: 0, default: 1e-5, description: 'RMSNorm epsilon.' },
    rope_theta: { type: 'number', exclusiveMinimum: 0, default: 10000, description: 'Rotary embedding base.' },
    tie_word_embeddings: { type: 'boolean', default: true, description: 'Share the input embedding and the output head.' },
    max_position_embeddings: int(1, { maximum: 1_048_576, default: 512, description: 'Longest sequence the model is built for (>= data.maxLength).' }),
  },
};

export const LORA_SCHEMA: Schema = {
  type: 'object',
  description: "LoRA as PEFT does it: low-rank adapters on the chosen linear layers, base weights frozen; the reference is the base model (adapters off), not a copy. Needs model.path. Adapters are saved in PEFT's format (adapter_config.json, adapter_model.safetensors); `prefopt merge` folds them into a full model.",
  additionalProperties: false,
  properties: {
    r: int(1, { default: 8, description: 'Rank of the update (PEFT r).' }),
    alpha: { type: 'number', exclusiveMinimum: 0, default: 8, description: 'Scaling numerator: the update is scaled by alpha / r (PEFT lora_alpha).' },
    dropout: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: "Dropout on the adapters' input during training (PEFT lora_dropout)." },
    targetModules: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { enum: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
      default: ['q_proj', 'v_proj'],
      description: 'Linear layers to adapt, in every block (PEFT target_modules; its default for Llama is q_proj, v_proj).',
    },
  },
};

export const MODEL_SCHEMA: Schema = {
  type: 'object',
  description: 'The policy model: a model directory (`path`) or a fresh random model (`init`). Exactly one of the two.',
  additionalProperties: false,
  properties: {
    path: { type: 'string', minLength: 1, description: 'Model directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json).' },
    init: MODEL_INIT_SCHEMA,
    tokenizer: { type: 'string', minLength: 1, description: "With init: 'char' (the built-in character tokenizer, used when absent) or a directory holding tokenizer.json." },
    lora: LORA_SCHEMA,
    saveDtype: { enum: ['auto', 'float32', 'bfloat16', 'float16'], default: 'auto', description: "Weights dtype of the saved model: 'auto' is the dtype the model came in (BF16 in, BF16 out; float32 for model.init). Checkpoints are always float32, so resuming is exact." },
  },
};

export const REFERENCE_SCHEMA: Schema = {
  type: 'object',
  description: 'The reference model of losses that compare with one. By default the starting policy (with LoRA: the base model with adapters off, no copy).',
  additionalProperties: false,
  default: {},
  properties: {
    path: { type: 'string', minLength: 1, description: 'A model directory to use as the reference instead (same tokenizer vocabulary as the policy).' },
  },
};

export const DATA_SCHEMA: Schema = {
  type: 'object',
  description: "Datasets in TRL's formats (docs/data.md): preference pairs for stage 'preference', prompt/completion for stage 'sft'.",
  additionalProperties: false,
  required: ['train'],
  properties: {
    train: { type: 'string', minLength: 1, description: 'Training JSONL file.' },
    eval: { type: 'string', minLength: 1, description: 'Evaluation JSONL file (optional).' },
    format: { enum: ['auto', 'standard', 'conversational'], default: 'auto', description: "Record format: 'standard' (strings), 'conversational' (message lists, rendered with the chat template) or 'auto' (per record)." },
    maxLength: int(2, { maximum: 1_048_576, default: 512, description: 'Longest sequence in tokens (prompt + completion + EOS); longer ones are cut keeping the start, pairs whose prompt fills it are dropped.' }),
    skipInvalid: { type: 'boolean', default: false, description: 'Skip and count invalid records instead of stopping at the first.' },
    chatTemplate: {
      type: 'string',
      minLength: 1,
      description: "Chat template for conversational records: the name of one of the tokenizer's templates (e.g. 'tool_use'), or Jinja text. Default: transformers' choice (chat_template.jinja, else tokenizer_config.json's; 'tool_use' for records with tools), else ChatML.",
    },
    chatTemplateKwargs: {
      type: 'object',
      description: "Extra variables for the chat template (transformers' chat_template_kwargs), e.g. { enable_thinking: false }; a record's own chat_template_kwargs column wins.",
    },
    shuffle: { type: 'boolean', default: true, description: 'Shuffle the training data each epoch (seeded by train.seed).' },
  },
};

export const TRAIN_SCHEMA: Schema = {
  type: 'object',
  description: "Optimization, as transformers' TrainingArguments: AdamW, warmup then a schedule, gradient accumulation, clipping.",
  additionalProperties: false,
  default: {},
  properties: {
    seed: int(0, { default: 42, description: 'Seed for initialization, shuffling and sampling.' }),
    epochs: { type: 'number', exclusiveMinimum: 0, maximum: 1_000_000, default: 1, description: 'Passes over the training data.' },
    maxSteps: int(1, { maximum: 1_000_000_000, description: 'Stop after this many optimizer steps (overrides epochs).' }),
    batchSize: int(1, { maximum: 65_536, default: 8, description: 'Examples (pairs, for preference) per micro-batch.' }),
    evalBatchSize: int(1, { maximum: 65_536, description: 'Examples per evaluation batch; batchSize when absent.' }),
    gradientAccumulation: int(1, { maximum: 65_536, default: 1, description: 'Micro-batches per optimizer step (effective batch = batchSize x gradientAccumulation).' }),
    learningRate: { type: 'number', exclusiveMinimum: 0, default: 5e-5, description: 'Peak learning rate.' },
    weightDecay: { type: 'number', minimum: 0, default: 0, description: 'AdamW decoupled weight decay.' },
    adamBeta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'AdamW beta1.' },
    adamBeta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'AdamW beta2.' },
    adamEpsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-8, description: 'AdamW epsilon.' },
    warmupSteps: int(0, { description: 'Linear warmup in optimizer steps (overrides warmupRatio).' }),
    warmupRatio: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Linear warmup as a fraction of the total steps.' },
    schedule: { enum: ['linear', 'cosine', 'constant'], default: 'linear', description: 'Learning-rate decay after warmup (to 0 for linear and cosine).' },
    maxGradNorm: { type: 'number', minimum: 0, default: 1, description: 'Clip the global gradient norm to this; 0 disables clipping.' },
    logEvery: int(1, { default: 10, description: 'Log metrics every N optimizer steps.' }),
    evalEvery: int(0, { default: 0, description: 'Evaluate every N optimizer steps; 0: only at the end.' }),
    saveEvery: int(0, { default: 500, description: 'Checkpoint every N optimizer steps; 0: only at the end.' }),
    saveTotalLimit: int(1, { description: 'Keep only the newest N checkpoints (older ones are deleted after each save); all when absent.' }),
    workers: int(1, { description: "Threads computing each micro-batch's gradient, the main one included (data parallel: each its own TensorFlow.js engine and copy of the weights, the micro-batch split between them; the same threads precompute the reference log-probs and compute held-out metrics, whole batches each); the number of cores when absent on wasm and cpu, 1 on native backends. LoRA runs on one thread; a batch-coupled loss (aot) computes its gradient on one thread and uses the others for the reference log-probs and held-out metrics. Where other work keeps the cores busy, 1 can be faster; on a quiet 2-core machine 2 threads were 1.7x faster for a 3.4M-parameter DPO step and 1.08-1.35x for the quick profile's 0.31M model: see docs/benchmarks.md." }),
    precomputeReference: { type: 'boolean', default: false, description: "Compute the reference log-probs once before training and cache them in the run directory (reference-cache/), instead of running the reference model on every batch." },
    sharePrompt: { type: 'boolean', default: true, description: "Preference stages: run each pair as one sequence, shared prompt + chosen + rejected (the rejected answer does not see the chosen one, its positions restart after the prompt), so the prompt is computed once (a batch whose packed rows would not be shorter runs as two sequences); log-probs equal the two-sequence ones up to float32 rounding. false: chosen and rejected as two sequences." },
  },
};

/** Names and aliases of a loss, for the `name` enum. */
function namesOf(loss: PreferenceLoss<any>): string[] {
  return [loss.name, ...(loss.aliases ?? [])];
}

/** The `then` branch of one loss: its params schema plus `name` (and `weight` in a mixture). */
function lossBranch(loss: PreferenceLoss<any>, inMixture: boolean): Schema {
  const { $schema: _s, $id: _i, properties, ...rest } = loss.paramsSchema as Schema & { properties: Schema };
  return {
    if: { type: 'object', required: ['name'], properties: { name: { enum: namesOf(loss) } } },
    then: {
      ...rest,
      properties: {
        name: true,
        ...(inMixture ? { weight: MIXTURE_WEIGHT } : {}),
        ...properties,
      },
      additionalProperties: false,
    },
  };
}

const MIXTURE_WEIGHT: Schema = { type: 'number', exclusiveMinimum: 0, default: 1, description: 'Weight of this term in the mixture.' };

function lossObject(losses: PreferenceLoss<any>[], inMixture: boolean): Schema {
  return {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', enum: losses.flatMap(namesOf), description: 'Loss name or alias (`prefopt losses`).' },
      ...(inMixture ? { weight: MIXTURE_WEIGHT } : {}),
    },
    allOf: losses.map((loss) => lossBranch(loss, inMixture)),
  };
}

/** The loss of a config that names none: DPO with its default params (TRL's default loss_type). */
export const DEFAULT_LOSS = { name: 'dpo' } as const;

/** The `loss` schema: one loss with its params, or a weighted list of them. */
export function lossSchema(losses: PreferenceLoss<any>[]): Schema {
  return {
    description: "The loss and its params ({ name, ...params }), or a weighted mixture: a list of { name, weight, ...params }. Params per loss: `prefopt losses` and docs/losses.md. Ignored by stage 'sft'.",
    default: DEFAULT_LOSS,
    if: { type: 'array' },
    then: { type: 'array', minItems: 1, items: lossObject(losses, true) },
    else: lossObject(losses, false),
  };
}

/** The whole config schema, with one branch per loss of the registry. */
export function buildConfigSchema(registry: LossRegistry): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://prefopt.dev/config.schema.json',
    title: 'prefopt run config',
    type: 'object',
    additionalProperties: false,
    required: ['model', 'data'],
    properties: {
      $schema: { type: 'string', description: 'Path or URL of this schema, for editors.' },
      model: MODEL_SCHEMA,
      data: DATA_SCHEMA,
      stage: { enum: ['sft', 'preference'], default: 'preference', description: "'sft': NLL on completions; 'preference': the configured loss on chosen/rejected pairs." },
      loss: lossSchema(registry.list()),
      train: TRAIN_SCHEMA,
      reference: REFERENCE_SCHEMA,
      backend: { enum: ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'], default: 'auto', description: 'TensorFlow.js backend (PREFOPT_BACKEND overrides auto).' },
      output: { type: 'string', minLength: 1, default: 'runs/run', description: 'Run directory: resolved config, metrics.jsonl, checkpoints.' },
      plugins: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'Third-party loss plugins: file paths (relative to the config file) or package names.' },
    },
  };
}
