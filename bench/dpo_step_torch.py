"""The DPO step of bench/_dpo-workload.ts in PyTorch, for comparison (never run by the tests).

Same shape and math in float32: Llama (vocab 512, hidden 256, 4 layers, 4 heads, 4 KV heads,
intermediate 688, RMSNorm, RoPE, SwiGLU, untied LM head), 8 pairs x 128 tokens with a 32-token
prompt, summed completion log-probs, the DPO loss (beta 0.1) against cached reference log-probs,
autograd, global-norm clipping to 1 and AdamW (lr 1e-4). Prints one JSON line:
{"threads": N, "step_seconds": [...]}.

    python3 bench/dpo_step_torch.py --threads 1 --steps 3 --warmup 1
(Debian: apt-get install python3-torch, PyTorch 1.13; run by bench/dpo-step.ts when available.)
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

VOCAB, HIDDEN, LAYERS, HEADS, KV_HEADS, INTER = 512, 256, 4, 4, 4, 688
PAIRS, SEQ, PROMPT = 8, 128, 32
HEAD_DIM = HIDDEN // HEADS
EPS, THETA, BETA = 1e-5, 10000.0, 0.1


class RMSNorm(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(HIDDEN), RMSNorm(HIDDEN)
        self.q, self.k, self.v = lin(HIDDEN, HEADS * HEAD_DIM), lin(HIDDEN, KV_HEADS * HEAD_DIM), lin(HIDDEN, KV_HEADS * HEAD_DIM)
        self.o = lin(HEADS * HEAD_DIM, HIDDEN)
        self.gate, self.up, self.down = lin(HIDDEN, INTER), lin(HIDDEN, INTER), lin(INTER, HIDDEN)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q(h).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k(h).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v(h).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        scores = q @ k.transpose(-1, -2) / math.sqrt(HEAD_DIM) + mask
        ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, HIDDEN)
        x = x + self.o(ctx)
        h = self.post_attention_layernorm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, HIDDEN)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(LAYERS))
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = torch.nn.Linear(HIDDEN, VOCAB, bias=False)
        inv_freq = 1.0 / THETA ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM)
        angles = torch.outer(torch.arange(SEQ).float(), inv_freq)
        emb = torch.cat((angles, angles), dim=-1)
        self.register_buffer('cos', emb.cos()[None, None])
        self.register_buffer('sin', emb.sin()[None, None])
        self.register_buffer('mask', torch.full((SEQ, SEQ), -1e9).triu(1)[None, None])

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin, self.mask)
        return self.lm_head(self.norm(x))


def sequence_logps(model, ids, completion_mask):
    logps = model(ids)[:, :-1].log_softmax(-1).gather(-1, ids[:, 1:, None])[..., 0]
    return (logps * completion_mask[:, 1:]).sum(-1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Llama()
    for name, p in model.named_parameters():
        if p.dim() == 2:
            torch.nn.init.normal_(p, 0.0, 0.02)
    ids = torch.randint(3, VOCAB, (2 * PAIRS, SEQ))
    ids[PAIRS:, :PROMPT] = ids[:PAIRS, :PROMPT]
    mask = torch.zeros(2 * PAIRS, SEQ)
    mask[:, PROMPT:] = 1
    with torch.no_grad():
        ref = sequence_logps(model, ids, mask)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)

    def step():
        optimizer.zero_grad(set_to_none=True)
        logps = sequence_logps(model, ids, mask)
        rho = logps - ref
        loss = -F.logsigmoid(BETA * (rho[:PAIRS] - rho[PAIRS:])).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(args.warmup):
        step()
    seconds = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({'threads': args.threads, 'torch': torch.__version__, 'step_seconds': seconds}))


if __name__ == '__main__':
    main()
