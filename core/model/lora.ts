/**
 * LoRA (Hu et al., "LoRA: Low-Rank Adaptation of Large Language Models", arXiv:2106.09685), as
 * PEFT implements it: a frozen linear layer W [out, in] gets a trainable low-rank update
 *
 *   y = x W^T + scaling * B(A(dropout(x))),   A [r, in], B [out, r],   scaling = alpha / r
 *
 * (alpha / sqrt(r) with rsLoRA). A starts kaiming-uniform (torch's kaiming_uniform_ with a = sqrt(5),
 * i.e. U(-1/sqrt(in), 1/sqrt(in))), B starts at zero, so the adapted model starts equal to the base.
 * Dropout acts on the adapter's input only, and only inside `withDropout` (training).
 *
 * The adapters hang on the model's linear layers (CausalLM.setAdapters); the model with adapters
 * switched off (`withAdaptersDisabled`) is the base model, which serves as the reference without a
 * second copy of the weights. Weights are named as PEFT saves them (peft.ts writes the files).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { matMul2d } from '../runtime/ops.ts';
import type { LlamaConfig } from './config.ts';
import { checkTensorShapes, parameterShapes, type CausalLM, type LinearAdapter } from './llama.ts';

/** The linear layers of a Llama/Qwen2 block LoRA can adapt (PEFT's module names). */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

export interface LoraSettings {
  /** Rank of the update. */
  r: number;
  /** Scaling numerator: scaling = alpha / r (alpha / sqrt(r) with useRslora). */
  alpha: number;
  /** Dropout probability on the adapter's input during training. */
  dropout: number;
  /** Module names (q_proj, ...) as a list, or a regular expression over full module names as PEFT accepts. */
  targetModules: string[] | string;
  /** rsLoRA scaling alpha / sqrt(r) (PEFT's use_rslora). */
  useRslora?: boolean;
}

export function loraScaling(settings: LoraSettings): number {
  return settings.useRslora ? settings.alpha / Math.sqrt(settings.r) : settings.alpha / settings.r;
}

/** PEFT's module name of an HF weight: 'model.layers.0.self_attn.q_proj.weight' -> 'model.layers.0.self_attn.q_proj'. */
function moduleOf(weightName: string): string {
  return weightName.replace(/\.weight$/, '');
}

/** The name PEFT saves an adapter matrix under: base_model.model.<module>.lora_A.weight. */
export function peftTensorName(weightName: string, matrix: 'A' | 'B'): string {
  return `base_model.model.${moduleOf(weightName)}.lora_${matrix}.weight`;
}

/**
 * The HF weight names LoRA adapts, in model order: the linear layers whose module name matches a
 * listed name (the name itself or its last component, as PEFT matches a list) or fully matches a
 * regular expression (PEFT's string form).
 */
export function loraTargetWeights(config: LlamaConfig, targetModules: string[] | string): string[] {
  const candidates = [...parameterShapes(config).keys()].filter((name) => LORA_TARGETS.some((t) => name.endsWith(`.${t}.weight`)));
  let matches: (module: string) => boolean;
  if (typeof targetModules === 'string') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${targetModules})$`);
    } catch (error) {
      throw new UserError(`lora target_modules: invalid regular expression ${JSON.stringify(targetModules)} (${(error as Error).message})`);
    }
    matches = (module) => pattern.test(module);
  } else {
    for (const target of targetModules) {
      if (!(LORA_TARGETS as readonly string[]).includes(target.split('.').pop()!)) {
        throw new UserError(`lora target module '${target}' is not a linear layer LoRA can adapt; expected one of ${LORA_TARGETS.join(', ')}`);
      }
    }
    matches = (module) => targetModules.some((t) => module === t || module.endsWith(`.${t}`));
  }
  const weights = candidates.filter((name) => matches(moduleOf(name)));
  if (weights.length === 0) throw new UserError(`lora target modules ${JSON.stringify(targetModules)} match no linear layer of the model`);
  return weights;
}

/** The low-rank update of one linear layer. */
class LoraLinear implements LinearAdapter {
  constructor(
    readonly a: tf.Variable,
    readonly b: tf.Variable,
    private readonly scaling: number,
    private readonly owner: LoraAdapters,
    private readonly index: number,
  ) {}

  delta(x: tf.Tensor2D): tf.Tensor2D {
    const seed = this.owner.dropoutSeed(this.index);
    const input = seed === undefined ? x : (tf.dropout(x, this.owner.settings.dropout, undefined, seed) as tf.Tensor2D);
    const down = tf.mul(matMul2d(input, tf.transpose(this.a as tf.Tensor2D)), this.scaling) as tf.Tensor2D;
    return matMul2d(down, tf.transpose(this.b as tf.Tensor2D));
  }
}

/** Every LoRA adapter of a model, keyed by the HF weight name of the layer it adapts. */
export class LoraAdapters {
  readonly layers = new Map<string, LoraLinear>();
  /** Seed of the current training microbatch's dropout masks; undefined: no dropout (evaluation). */
  private dropoutCall?: number;

  private constructor(
    readonly settings: LoraSettings,
    private readonly seed: number,
  ) {}

  /**
   * Fresh adapters as PEFT initializes them (A kaiming-uniform, B zero), set on `model`, whose
   * base weights are frozen from then on. Deterministic in `seed`.
   */
  static attach(model: CausalLM, settings: LoraSettings, seed: number): LoraAdapters {
    return LoraAdapters.build(model, settings, seed, (weight, i) => {
      const [out, input] = model.params.get(weight)!.shape as [number, number];
      const bound = 1 / Math.sqrt(input);
      return {
        a: tf.randomUniform([settings.r, input], -bound, bound, 'float32', seed * 7919 + i),
        b: tf.zeros([out, settings.r]),
      };
    });
  }

  /** Adapters with given weights (PEFT tensor names, see peftTensorName), set on `model`. */
  static attachArrays(model: CausalLM, settings: LoraSettings, arrays: Map<string, { shape: number[]; data: Float32Array }>, source: string): LoraAdapters {
    const expected = new Map<string, number[]>();
    for (const weight of loraTargetWeights(model.config, settings.targetModules)) {
      const [out, input] = model.params.get(weight)!.shape as [number, number];
      expected.set(peftTensorName(weight, 'A'), [settings.r, input]);
      expected.set(peftTensorName(weight, 'B'), [out, settings.r]);
    }
    checkTensorShapes(expected, arrays, `the LoRA targets of this model (${source})`);
    return LoraAdapters.build(model, settings, 0, (weight) => {
      const a = arrays.get(peftTensorName(weight, 'A'))!;
      const b = arrays.get(peftTensorName(weight, 'B'))!;
      return { a: tf.tensor(a.data, a.shape, 'float32'), b: tf.tensor(b.data, b.shape, 'float32') };
    });
  }

  private static build(
    model: CausalLM,
    settings: LoraSettings,
    seed: number,
    init: (weight: string, index: number) => { a: tf.Tensor; b: tf.Tensor },
  ): LoraAdapters {
    const adapters = new LoraAdapters(settings, seed);
    const scaling = loraScaling(settings);
    try {
      loraTargetWeights(model.config, settings.targetModules).forEach((weight, i) => {
        const { a, b } = init(weight, i);
        const layer = new LoraLinear(tf.variable(a, true), tf.variable(b, true), scaling, adapters, i);
        a.dispose();
        b.dispose();
        adapters.layers.set(weight, layer);
      });
    } catch (error) {
      for (const layer of adapters.layers.values()) {
        layer.a.dispose();
        layer.b.dispose();
      }
      throw error;
    }
    model.setAdapters(new Map(adapters.layers), adapters.variables());
    return adapters;
  }

  /** The adapter weights under PEFT's tensor names, A then B per layer, in model order. */
  variables(): Map<string, tf.Variable> {
    const vars = new Map<string, tf.Variable>();
    for (const [weight, layer] of this.layers) {
      vars.set(peftTensorName(weight, 'A'), layer.a);
      vars.set(peftTensorName(weight, 'B'), layer.b);
    }
    return vars;
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    let count = 0;
    for (const v of this.variables().values()) count += v.size;
    return count;
  }

  /**
   * Runs `fn` (a training microbatch) with dropout on the adapters' inputs. `call` numbers the
   * microbatch, so the masks depend only on (seed, call, layer) and a resumed run draws the same.
   */
  withDropout<T>(call: number, fn: () => T): T {
    if (this.settings.dropout === 0) return fn();
    this.dropoutCall = call;
    try {
      return fn();
    } finally {
      this.dropoutCall = undefined;
    }
  }

  /** The dropout seed of layer `index` in the current microbatch, or undefined outside training. */
  dropoutSeed(index: number): number | undefined {
    if (this.dropoutCall === undefined) return undefined;
    return ((this.seed * 1_000_003 + this.dropoutCall) * 1009 + index) % 2 ** 31;
  }

  /**
   * Folds the adapters into the base weights (W <- W + scaling * B A) and removes them: the model
   * becomes a plain model equal to the adapted one, and every weight is trainable again.
   */
  merge(model: CausalLM): void {
    const scaling = loraScaling(this.settings);
    for (const [weight, layer] of this.layers) {
      const base = model.params.get(weight)!;
      tf.tidy(() => base.assign(tf.add(base, tf.mul(tf.matMul(layer.b, layer.a), scaling))));
    }
    this.dispose(model);
  }

  /** Removes the adapters from `model` and frees their weights. */
  dispose(model: CausalLM): void {
    model.setAdapters(new Map(), model.params);
    for (const v of this.variables().values()) v.dispose();
    this.layers.clear();
  }
}
