/**
 * The resolved run config: what `prefopt train` reads, after validation (core/config/load.ts),
 * with every default filled and relative paths made absolute (relative to the config file).
 * Names follow TRL / transformers' TrainingArguments in camelCase.
 */
import type { DataFormat } from '../data/records.ts';

/** A loss and its params: `{ name: 'minor-dpo', beta: 0.1 }`. */
export interface LossSpec {
  /** Registered loss name (aliases are replaced by the name). */
  name: string;
  [param: string]: unknown;
}

/** One term of a weighted mixture: `{ name: 'dpo', weight: 1, beta: 0.1 }`. */
export interface MixtureTermConfig extends LossSpec {
  weight: number;
}

/** Hugging Face config.json fields of a fresh, randomly initialized Llama-family model. */
export interface ModelInitConfig {
  model_type: 'llama' | 'qwen2';
  /** Taken from the tokenizer when absent. */
  vocab_size?: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads?: number;
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  max_position_embeddings: number;
}

/** LoRA adapters (PEFT's LoraConfig: r, lora_alpha, lora_dropout, target_modules). */
export interface LoraSection {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: Array<'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj'>;
}

export type SaveDtypeConfig = 'auto' | 'float32' | 'bfloat16' | 'float16';

export interface ModelSection {
  /** A model directory in Hugging Face layout (config.json, model.safetensors, tokenizer.json). */
  path?: string;
  /** Or: the config of a fresh random model. Exactly one of `path` and `init`. */
  init?: ModelInitConfig;
  /** With `init`: 'char' (built-in character tokenizer, the default) or a directory holding tokenizer.json. */
  tokenizer?: string;
  /** Train LoRA adapters instead of every weight (needs `path`). */
  lora?: LoraSection;
  /** Dtype of the saved model; 'auto': the dtype the model came in. */
  saveDtype: SaveDtypeConfig;
}

export interface ReferenceSection {
  /** A model directory to use as the reference instead of the starting policy. */
  path?: string;
}

export interface DataSection {
  /** Training JSONL (preference pairs for stage 'preference', prompt/completion for 'sft'). */
  train: string;
  /** Evaluation JSONL, same kind. */
  eval?: string;
  format: DataFormat;
  /** Longest sequence (prompt + completion + EOS) in tokens; longer ones are cut, keeping the start. */
  maxLength: number;
  skipInvalid: boolean;
  /** A named chat template of the tokenizer, or Jinja text; transformers' choice when absent. */
  chatTemplate?: string;
  /** Extra chat-template variables (transformers' chat_template_kwargs); a record's own column wins. */
  chatTemplateKwargs?: Record<string, unknown>;
  shuffle: boolean;
}

export type Schedule = 'linear' | 'cosine' | 'constant';

export interface TrainSection {
  seed: number;
  epochs: number;
  /** When set, training stops after this many optimizer steps (overrides epochs). */
  maxSteps?: number;
  batchSize: number;
  /** Pairs per evaluation batch; batchSize when absent. */
  evalBatchSize?: number;
  gradientAccumulation: number;
  learningRate: number;
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** Warmup in optimizer steps; when set it overrides warmupRatio. */
  warmupSteps?: number;
  warmupRatio: number;
  schedule: Schedule;
  /** Global gradient-norm clip; 0 disables clipping. */
  maxGradNorm: number;
  logEvery: number;
  /** Evaluate every N optimizer steps; 0: only at the end. */
  evalEvery: number;
  /** Checkpoint every N optimizer steps; 0: only at the end. */
  saveEvery: number;
  /** Keep only the newest N checkpoints. */
  saveTotalLimit?: number;
  precomputeReference: boolean;
  /** Preference stages: one packed sequence per pair, the shared prompt computed once (core/data/shared-prompt.ts). */
  sharePrompt: boolean;
  /** Threads per micro-batch gradient (core/train/parallel); the number of cores when absent (wasm, cpu). */
  workers?: number;
}

export type BackendConfig = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface PrefoptConfig {
  $schema?: string;
  model: ModelSection;
  data: DataSection;
  stage: 'sft' | 'preference';
  /** One loss, or a weighted mixture (a list). Ignored by stage 'sft'. */
  loss: LossSpec | MixtureTermConfig[];
  train: TrainSection;
  reference: ReferenceSection;
  backend: BackendConfig;
  /** The run directory. */
  output: string;
  /** Third-party loss plugins (file paths, absolute after loading, or package names). */
  plugins: string[];
}
