/**
 * An independent reference of the Hugging Face Llama / Qwen2 forward pass in plain float64
 * JavaScript, written straight from transformers' modeling_llama.py (LlamaRMSNorm,
 * LlamaRotaryEmbedding + apply_rotary_pos_emb with rotate_half, repeat_kv, eager attention with a
 * causal mask, LlamaMLP). No tfjs: it shares nothing with core/model but the weight names.
 */
export interface RefConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim?: number;
  rms_norm_eps: number;
  rope_theta: number;
  tie_word_embeddings: boolean;
  model_type: string;
}

type Weights = Map<string, { shape: number[]; data: ArrayLike<number> }>;

/** y[n][o] = sum_i x[n][i] * W[o][i] (+ b[o]) — torch.nn.Linear with W of shape [out, in]. */
function linear(x: number[][], w: { shape: number[]; data: ArrayLike<number> }, b?: { data: ArrayLike<number> }): number[][] {
  const [out, inp] = w.shape as [number, number];
  return x.map((row) => {
    const y = new Array<number>(out);
    for (let o = 0; o < out; o++) {
      let s = b ? b.data[o]! : 0;
      for (let i = 0; i < inp; i++) s += row[i]! * w.data[o * inp + i]!;
      y[o] = s;
    }
    return y;
  });
}

/** LlamaRMSNorm: weight * x * rsqrt(mean(x^2) + eps). */
function rmsNorm(x: number[][], w: ArrayLike<number>, eps: number): number[][] {
  return x.map((row) => {
    const variance = row.reduce((s, v) => s + v * v, 0) / row.length;
    const r = 1 / Math.sqrt(variance + eps);
    return row.map((v, i) => w[i]! * v * r);
  });
}

/** rotate_half: cat(-x2, x1) with x1, x2 the halves of x. */
function rotateHalf(x: number[]): number[] {
  const half = x.length / 2;
  return [...x.slice(half).map((v) => -v), ...x.slice(0, half)];
}

/** Logits [T][V] of one sequence of token ids. */
export function referenceLogits(config: RefConfig, weights: Weights, ids: number[]): number[][] {
  const w = (name: string) => {
    const t = weights.get(name);
    if (!t) throw new Error(`reference: missing ${name}`);
    return t;
  };
  const H = config.hidden_size;
  const nH = config.num_attention_heads;
  const nKV = config.num_key_value_heads;
  const hd = config.head_dim ?? H / nH;
  const T = ids.length;
  const emb = w('model.embed_tokens.weight');
  let x = ids.map((id) => Array.from({ length: H }, (_, i) => emb.data[id * H + i]!));
  // LlamaRotaryEmbedding: inv_freq = 1 / base^(arange(0, dim, 2) / dim); emb = cat(freqs, freqs).
  const invFreq = Array.from({ length: hd / 2 }, (_, i) => 1 / config.rope_theta ** ((2 * i) / hd));
  const cos = ids.map((_, p) => [...invFreq, ...invFreq].map((f) => Math.cos(p * f)));
  const sin = ids.map((_, p) => [...invFreq, ...invFreq].map((f) => Math.sin(p * f)));
  const rope = (v: number[], p: number) => {
    const r = rotateHalf(v);
    return v.map((a, i) => a * cos[p]![i]! + r[i]! * sin[p]![i]!);
  };
  const bias = config.model_type === 'qwen2';
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const h = rmsNorm(x, w(`${p}.input_layernorm.weight`).data, config.rms_norm_eps);
    const q = linear(h, w(`${p}.self_attn.q_proj.weight`), bias ? w(`${p}.self_attn.q_proj.bias`) : undefined);
    const k = linear(h, w(`${p}.self_attn.k_proj.weight`), bias ? w(`${p}.self_attn.k_proj.bias`) : undefined);
    const v = linear(h, w(`${p}.self_attn.v_proj.weight`), bias ? w(`${p}.self_attn.v_proj.bias`) : undefined);
    const head = (m: number[][], t: number, j: number) => m[t]!.slice(j * hd, (j + 1) * hd);
    const attn: number[][] = Array.from({ length: T }, () => new Array<number>(nH * hd).fill(0));
    for (let j = 0; j < nH; j++) {
      const kvj = Math.floor(j / (nH / nKV)); // repeat_kv: query head j uses kv head j // n_rep
      for (let t = 0; t < T; t++) {
        const qt = rope(head(q, t, j), t);
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          const ks = rope(head(k, s, kvj), s);
          scores.push(qt.reduce((acc, a, i) => acc + a * ks[i]!, 0) / Math.sqrt(hd));
        }
        const m = Math.max(...scores);
        const e = scores.map((z) => Math.exp(z - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          const vs = head(v, s, kvj);
          for (let i = 0; i < hd; i++) attn[t]![j * hd + i]! += (e[s]! / z) * vs[i]!;
        }
      }
    }
    const o = linear(attn, w(`${p}.self_attn.o_proj.weight`));
    x = x.map((row, t) => row.map((a, i) => a + o[t]![i]!));
    const h2 = rmsNorm(x, w(`${p}.post_attention_layernorm.weight`).data, config.rms_norm_eps);
    const gate = linear(h2, w(`${p}.mlp.gate_proj.weight`));
    const up = linear(h2, w(`${p}.mlp.up_proj.weight`));
    const act = gate.map((row, t) => row.map((g, i) => (g / (1 + Math.exp(-g))) * up[t]![i]!));
    const down = linear(act, w(`${p}.mlp.down_proj.weight`));
    x = x.map((row, t) => row.map((a, i) => a + down[t]![i]!));
  }
  x = rmsNorm(x, w('model.norm.weight').data, config.rms_norm_eps);
  return linear(x, w(config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'));
}

/** Sum of log p(ids[t] | ids[<t]) over positions t with mask[t] = 1, in float64. */
export function referenceSequenceLogprob(config: RefConfig, weights: Weights, ids: number[], mask: number[]): number {
  const logits = referenceLogits(config, weights, ids);
  let total = 0;
  for (let t = 1; t < ids.length; t++) {
    if (!mask[t]) continue;
    const row = logits[t - 1]!;
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, z) => s + Math.exp(z - m), 0));
    total += row[ids[t]!]! - lse;
  }
  return total;
}
