"""PyTorch reference of fitlam's models for the speed harness (bench/main.ts).

The same architecture and sizes as fitlam's presets, written the way a
PyTorch user would: AWD-LSTM (embedding dropout, locked dropout, DropConnect
on the hidden-to-hidden weights, tied decoder, AR/TAR) on PyTorch's fused
LSTM kernel (torch._VF.lstm, what nn.LSTM calls), AdamW with gradient-norm
clipping, and the concat-pooling classifier with BPT3C chunks. Weights are
random: only speed is measured here (tools/torch_reference.py checks the math).
"""

import json
import os
import platform
import re
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "tiny": dict(emb=16, hidden=32, layers=2),
    "small": dict(emb=64, hidden=256, layers=3),
    "paper": dict(emb=400, hidden=1150, layers=3),
}
DROPS = dict(embed=0.05, input=0.4, hidden=0.3, output=0.4, weight=0.5)


def setup(threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)


def blas_info():
    m = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    return m.group(1) if m else "unknown"


def describe(threads):
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "requested_threads": threads,
        "blas": blas_info(),
        "python": platform.python_version(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
    }


def layer_sizes(p, l):
    n_in = p["emb"] if l == 0 else p["hidden"]
    n_hid = p["emb"] if l == p["layers"] - 1 else p["hidden"]
    return n_in, n_hid


def bernoulli_mask(shape, p, like):
    return like.new_empty(shape).bernoulli_(1 - p) / (1 - p)


class AwdLstm(nn.Module):
    def __init__(self, preset, vocab):
        super().__init__()
        p = PRESETS[preset]
        self.p = p
        self.encoder = nn.Embedding(vocab, p["emb"])
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = (nn.ParameterList() for _ in range(4))
        for l in range(p["layers"]):
            n_in, n_hid = layer_sizes(p, l)
            k = 1 / n_hid ** 0.5
            u = lambda *s: nn.Parameter(torch.empty(*s).uniform_(-k, k))
            self.w_ih.append(u(4 * n_hid, n_in))
            self.w_hh.append(u(4 * n_hid, n_hid))
            self.b_ih.append(u(4 * n_hid))
            self.b_hh.append(u(4 * n_hid))
        self.decoder_bias = nn.Parameter(torch.zeros(vocab))

    def zero_state(self, batch, device=None):
        return [
            (torch.zeros(1, batch, layer_sizes(self.p, l)[1], device=device),
             torch.zeros(1, batch, layer_sizes(self.p, l)[1], device=device))
            for l in range(self.p["layers"])
        ]

    def encode(self, tokens, state, train):
        """tokens [B, T] -> (output after dropout [B, T, E], raw output, new state)."""
        B = tokens.shape[0]
        weight = self.encoder.weight
        if train:
            weight = weight * bernoulli_mask((weight.shape[0], 1), DROPS["embed"], weight)
        x = F.embedding(tokens, weight)
        if train:
            x = x * bernoulli_mask((B, 1, x.shape[2]), DROPS["input"], x)
        new_state = []
        for l in range(self.p["layers"]):
            w_hh = self.w_hh[l]
            if train:
                w_hh = w_hh * bernoulli_mask(w_hh.shape, DROPS["weight"], w_hh)
            x, h, c = torch._VF.lstm(
                x, state[l], [self.w_ih[l], w_hh, self.b_ih[l], self.b_hh[l]],
                True, 1, 0.0, train, False, True,
            )
            new_state.append((h.detach(), c.detach()))
            raw = x
            if train and l < self.p["layers"] - 1:
                x = x * bernoulli_mask((B, 1, x.shape[2]), DROPS["hidden"], x)
        out = raw
        if train:
            out = raw * bernoulli_mask((B, 1, raw.shape[2]), DROPS["output"], raw)
        return out, raw, new_state

    def lm_loss(self, tokens, targets, state, alpha=2.0, beta=1.0):
        out, raw, new_state = self.encode(tokens, state, True)
        logits = out @ self.encoder.weight.t() + self.decoder_bias
        ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss = ce + alpha * out.pow(2).mean() + beta * (raw[:, 1:] - raw[:, :-1]).pow(2).mean()
        return loss, ce, new_state


class Classifier(nn.Module):
    """Encoder + concat pooling [last, max, mean] + (BN, Linear) blocks, ReLU between."""

    def __init__(self, preset, vocab, classes=2, hidden=50, bptt=70):
        super().__init__()
        self.lm = AwdLstm(preset, vocab)
        e = self.lm.p["emb"]
        self.bptt = bptt
        self.bn1, self.lin1 = nn.BatchNorm1d(3 * e), nn.Linear(3 * e, hidden)
        self.bn2, self.lin2 = nn.BatchNorm1d(hidden), nn.Linear(hidden, classes)

    def forward(self, tokens, lengths):
        """tokens [B, T] right-padded; lengths [B] (LongTensor). Inference only."""
        B, T = tokens.shape
        state = self.lm.zero_state(B, tokens.device)
        outs = []
        for s in range(0, T, self.bptt):
            out, _, state = self.lm.encode(tokens[:, s:s + self.bptt], state, False)
            outs.append(out)
        out = torch.cat(outs, 1)
        idx = torch.arange(T, device=tokens.device).unsqueeze(0)
        valid = (idx < lengths.unsqueeze(1)).unsqueeze(2)
        last = out[torch.arange(B, device=tokens.device), lengths - 1]
        maxed = out.masked_fill(~valid, float("-inf")).max(1).values
        mean = (out * valid).sum(1) / lengths.unsqueeze(1)
        x = torch.cat([last, maxed, mean], 1)
        x = F.relu(self.lin1(self.bn1(x)))
        return self.lin2(self.bn2(x))


def emit(obj):
    print(json.dumps(obj), flush=True)


def timed(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times
