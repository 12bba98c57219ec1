"""
Builds tiny checkpoints with Hugging Face transformers and their reference log-probs, for
spec/model/hf-transformers-parity.test.ts. Run where torch + transformers are installed (the
GPU device machine has both; prefopt's CI has neither, so the outputs are committed as fixtures):

    python3 bench/hf-parity/make_reference.py OUT_DIR TOKENIZER_DIR

For each variant it saves `save_pretrained` (safetensors) into OUT_DIR/<variant>/, copies the
tokenizer files in, and writes OUT_DIR/<variant>/expected.json: token sequences, prompt lengths and
the per-sequence completion log-prob sums computed in float64 by transformers' own model code.
"""
import json
import shutil
import sys
from pathlib import Path

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

out = Path(sys.argv[1])
tokenizer_dir = Path(sys.argv[2])

COMMON = dict(vocab_size=100, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, max_position_embeddings=64, rms_norm_eps=1e-6,
              bos_token_id=1, eos_token_id=2, pad_token_id=0)
VARIANTS = {
    "llama-tied-gqa": (LlamaConfig, LlamaForCausalLM, dict(num_key_value_heads=2, tie_word_embeddings=True, rope_theta=10000.0)),
    "llama-untied-mha": (LlamaConfig, LlamaForCausalLM, dict(num_key_value_heads=4, tie_word_embeddings=False, rope_theta=500000.0)),
    "qwen2-untied-gqa": (Qwen2Config, Qwen2ForCausalLM, dict(num_key_value_heads=2, tie_word_embeddings=False, rope_theta=1000000.0, use_sliding_window=False)),
}

def sequences(seed):
    g = torch.Generator().manual_seed(seed)
    items = []
    for length, prompt in [(12, 5), (20, 1), (33, 17), (8, 7)]:
        ids = torch.randint(4, 100, (length,), generator=g).tolist()
        items.append({"ids": ids, "promptLength": prompt})
    return items

def completion_logprob(model, ids, prompt_length):
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].double()
    logp = torch.log_softmax(logits[:-1], dim=-1)
    targets = torch.tensor(ids[1:])
    per_token = logp.gather(1, targets[:, None])[:, 0]
    # token t (t >= 1) is predicted at t-1; completion tokens are t >= prompt_length (and t >= 1)
    mask = torch.tensor([1.0 if t >= max(prompt_length, 1) else 0.0 for t in range(1, len(ids))], dtype=torch.float64)
    return float((per_token * mask).sum()), [float(x) for x in per_token]

report = {"transformers": transformers.__version__, "torch": torch.__version__, "variants": {}}
for seed, (name, (config_cls, model_cls, extra)) in enumerate(VARIANTS.items()):
    torch.manual_seed(100 + seed)
    config = config_cls(**COMMON, **extra)
    model = model_cls(config).eval()
    with torch.no_grad():
        # Weights large enough that attention is sharp (so rotary positions and rope_theta matter),
        # and non-trivial norms and biases, so every part of the architecture is really tested.
        for pname, p in model.named_parameters():
            if p.dim() == 2:
                p.copy_(0.3 * torch.randn_like(p))
            elif pname.endswith("norm.weight"):
                p.copy_(1 + 0.1 * torch.randn_like(p))
            elif pname.endswith(".bias"):
                p.copy_(0.05 * torch.randn_like(p))
    for dtype_name, dtype in [("f32", torch.float32), ("bf16", torch.bfloat16)]:
        variant = f"{name}-{dtype_name}"
        target = out / variant
        saved = model.to(dtype)
        saved.save_pretrained(target, safe_serialization=True)
        for f in tokenizer_dir.iterdir():
            shutil.copy(f, target / f.name)
        reference = model_cls.from_pretrained(target, torch_dtype=torch.float64).eval()  # the saved weights, computed in float64
        items = sequences(seed)
        for item in items:
            item["sum"], item["tokens"] = completion_logprob(reference, item["ids"], item["promptLength"])
        (target / "expected.json").write_text(json.dumps({"variant": variant, "sequences": items}, indent=1))
        report["variants"][variant] = {"files": sorted(p.name for p in target.iterdir()), "config": json.loads((target / "config.json").read_text())}
        model = model.float()
print(json.dumps(report, indent=1))
