/**
 * The experiment's sizes. `quick` is what `npm start` runs (under 10 minutes on a 2-core machine
 * with the wasm backend); `full` uses more data and steps, three learning rates and three seeds;
 * `test` takes seconds and exists for the test suite.
 */
import { UserError, type ModelInitConfig } from '../../core/index.ts';

export interface ReproduceProfile {
  name: string;
  /** Data: split sizes and the difficulty limits of the arithmetic generator (arena/task). */
  data: { seed: number; sftTrain: number; preferenceTrain: number; eval: number; test: number; maxNumber?: number; maxSteps?: number };
  /** The tiny Llama trained from scratch (the task tokenizer: characters, numbers and words as tokens). */
  model: Omit<ModelInitConfig, 'model_type' | 'rms_norm_eps' | 'rope_theta' | 'tie_word_embeddings'>;
  maxLength: number;
  sft: { steps: number; batchSize: number; learningRate: number; evalEvery: number };
  preference: {
    steps: number;
    batchSize: number;
    beta: number;
    /** Named learning rates, lowest first: the first is 'low', the last 'high'. */
    learningRates: { label: string; value: number }[];
    /** Evaluate (test accuracy by generation, reward metrics on the eval split) every N steps. */
    evalEvery: number;
    logEvery: number;
  };
  /** Replicates: each seed trains its own SFT model and its own preference runs. */
  seeds: number[];
  /** Losses compared (registered names). */
  methods: string[];
  /**
   * Generation: prompts per batch, the most new tokens per answer, and how many test questions
   * the evaluations during training answer (the final evaluation answers all of them).
   */
  generation: { batchSize: number; maxNewTokens: number; duringTraining: number };
}

const METHODS = ['dpo', 'minor-dpo'];

/** 3 layers: copying a number from the question needs an induction circuit, which 2 tiny layers did not learn in minutes. */
const TINY_LLAMA = { hidden_size: 96, intermediate_size: 192, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 4, max_position_embeddings: 256 };

export const PROFILES: Record<string, ReproduceProfile> = {
  quick: {
    name: 'quick',
    data: { seed: 0, sftTrain: 1500, preferenceTrain: 320, eval: 64, test: 96, maxNumber: 30, maxSteps: 2 },
    model: TINY_LLAMA,
    maxLength: 128,
    sft: { steps: 600, batchSize: 8, learningRate: 5e-3, evalEvery: 0 },
    preference: {
      steps: 40,
      batchSize: 8,
      beta: 0.1,
      learningRates: [{ label: 'low', value: 3e-4 }, { label: 'high', value: 3e-3 }],
      evalEvery: 20,
      logEvery: 5,
    },
    seeds: [1],
    methods: METHODS,
    generation: { batchSize: 96, maxNewTokens: 48, duringTraining: 32 },
  },
  full: {
    name: 'full',
    data: { seed: 0, sftTrain: 1400, preferenceTrain: 480, eval: 100, test: 200, maxNumber: 30, maxSteps: 2 },
    model: TINY_LLAMA,
    maxLength: 128,
    sft: { steps: 1500, batchSize: 8, learningRate: 5e-3, evalEvery: 500 },
    preference: {
      steps: 60,
      batchSize: 8,
      beta: 0.1,
      learningRates: [{ label: 'low', value: 3e-4 }, { label: 'mid', value: 1e-3 }, { label: 'high', value: 3e-3 }],
      evalEvery: 20,
      logEvery: 5,
    },
    seeds: [1, 2, 3],
    methods: METHODS,
    generation: { batchSize: 100, maxNewTokens: 48, duringTraining: 50 },
  },
  test: {
    name: 'test',
    data: { seed: 0, sftTrain: 24, preferenceTrain: 16, eval: 8, test: 6, maxNumber: 20, maxSteps: 2 },
    model: { hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256 },
    maxLength: 256,
    sft: { steps: 3, batchSize: 4, learningRate: 1e-2, evalEvery: 0 },
    preference: {
      steps: 4,
      batchSize: 4,
      beta: 0.1,
      learningRates: [{ label: 'low', value: 1e-3 }, { label: 'high', value: 1e-2 }],
      evalEvery: 2,
      logEvery: 1,
    },
    seeds: [1],
    methods: METHODS,
    generation: { batchSize: 6, maxNewTokens: 8, duringTraining: 3 },
  },
};

/** The profile of a name, or a UserError listing the names. */
export function profileNamed(name: string): ReproduceProfile {
  const profile = PROFILES[name];
  if (!profile) throw new UserError(`unknown profile '${name}'; choose one of ${Object.keys(PROFILES).join(', ')}`);
  return profile;
}
