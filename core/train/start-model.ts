/** The model a run starts from: a model directory, or a fresh random model from `model.init`. */
import path from 'node:path';
import type { ModelSection } from '../config/types.ts';
import { createCharTokenizer } from '../model/char-tokenizer.ts';
import { checkTokenizerFits, loadModelDir } from '../model/checkpoint.ts';
import { parseConfig } from '../model/config.ts';
import { HfTokenizer } from '../model/hf-tokenizer.ts';
import { CausalLM } from '../model/llama.ts';
import type { SaveDtype } from '../model/safetensors.ts';

export interface StartingModel {
  model: CausalLM;
  tokenizer: HfTokenizer;
  /** The dtype the weights came in (F32 for a fresh model): what the trained model is saved in by default. */
  dtype: SaveDtype;
  /** The model directory's generation_config.json, if it has one. */
  generationConfig?: Record<string, unknown>;
}

/** Loads or creates the starting model. Deterministic: the same section and seed give the same weights. */
export async function startingModel(section: ModelSection, seed: number): Promise<StartingModel> {
  if (section.path !== undefined) {
    const { model, tokenizer, dtype, generationConfig } = await loadModelDir(section.path);
    return { model, tokenizer, dtype, ...(generationConfig ? { generationConfig } : {}) };
  }
  const tokenizer =
    section.tokenizer === undefined || section.tokenizer === 'char' ? createCharTokenizer() : await HfTokenizer.fromDir(section.tokenizer);
  const init = section.init!;
  const config = parseConfig(
    {
      ...init,
      vocab_size: init.vocab_size ?? tokenizer.vocabSize,
      eos_token_id: tokenizer.eosTokenId,
      bos_token_id: tokenizer.bosTokenId ?? null,
      pad_token_id: tokenizer.padTokenId,
    },
    path.join('model.init'),
  );
  checkTokenizerFits(tokenizer, config, section.tokenizer ?? 'model.init');
  return { model: CausalLM.random(config, seed), tokenizer, dtype: 'F32' };
}

/** An independent copy of a model's weights (the frozen reference). */
export function cloneModel(model: CausalLM): CausalLM {
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, variable] of model.params) arrays.set(name, { shape: variable.shape, data: variable.dataSync() as Float32Array });
  return CausalLM.fromArrays(model.config, arrays);
}
