#!/usr/bin/env python3
"""Independent PyTorch reference for the fitlam AWD-LSTM / concat-pooling classifier.

Writes tests/fixtures/parity_tiny.safetensors (+ parity_tiny.json) with a tiny
model's parameters, inputs, dropout masks and expected outputs/gradients.

Weights are drawn in float32 (so the TypeScript side loads exactly the same
numbers), all math runs in float64, and results are cast to float32 when saved.
Every computation is self-checked: hand-written LSTM cell loop vs nn.LSTM,
manual BatchNorm vs nn.BatchNorm1d, manual CE vs F.cross_entropy, and
autograd gradients vs central finite differences along random directions.

Usage: /usr/bin/python3 tools/torch_reference.py --out tests/fixtures
Needs only torch (no pip packages): safetensors is written with the stdlib.
"""

import argparse
import json
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------
# Tiny config
# --------------------------------------------------------------------------
V, E, H, L = 17, 8, 10, 3
PAD = 1
HEAD_SIZES = [3 * E, 5, 3]
C = HEAD_SIZES[-1]
LM_B, LM_T = 3, 6
CLS_B, CLS_T = 4, 7
CLS_LENGTHS = [7, 5, 3, 6]
BN_EPS, BN_MOMENTUM = 1e-5, 0.1
P_EMBED, P_INPUT, P_HIDDEN, P_OUTPUT, P_WEIGHT = 0.3, 0.4, 0.3, 0.4, 0.5

IN_SIZES = [E if l == 0 else H for l in range(L)]
HID_SIZES = [E if l == L - 1 else H for l in range(L)]

F64 = torch.float64
TOL = 1e-10


def check(name, a, b, tol=TOL):
    d = (a.detach().to(F64) - b.detach().to(F64)).abs().max().item()
    assert d < tol, f"self-check {name} failed: max abs diff {d}"
    print(f"  ok  {name:<40s} max|diff| = {d:.2e}")


# --------------------------------------------------------------------------
# Parameters (float32, deterministic order)
# --------------------------------------------------------------------------
def make_params(gen):
    def u(shape, lo, hi):
        return torch.rand(*shape, generator=gen, dtype=torch.float32) * (hi - lo) + lo

    p = {}
    p["encoder.weight"] = u((V, E), -0.5, 0.5)
    for l in range(L):
        i, h = IN_SIZES[l], HID_SIZES[l]
        p[f"rnns.{l}.weight_ih"] = u((4 * h, i), -0.5, 0.5)
        p[f"rnns.{l}.weight_hh"] = u((4 * h, h), -0.5, 0.5)
        p[f"rnns.{l}.bias_ih"] = u((4 * h,), -0.5, 0.5)
        p[f"rnns.{l}.bias_hh"] = u((4 * h,), -0.5, 0.5)
    p["decoder.bias"] = u((V,), -0.5, 0.5)
    for k in range(len(HEAD_SIZES) - 1):
        n_in, n_out = HEAD_SIZES[k], HEAD_SIZES[k + 1]
        p[f"head.{k}.bn.weight"] = u((n_in,), 0.5, 1.5)
        p[f"head.{k}.bn.bias"] = u((n_in,), -0.5, 0.5)
        p[f"head.{k}.bn.running_mean"] = u((n_in,), -0.5, 0.5)
        p[f"head.{k}.bn.running_var"] = u((n_in,), 0.5, 1.5)
        p[f"head.{k}.linear.weight"] = u((n_out, n_in), -0.5, 0.5)
        p[f"head.{k}.linear.bias"] = u((n_out,), -0.5, 0.5)
    return p


def make_mask(gen, shape, p):
    keep = (torch.rand(*shape, generator=gen, dtype=torch.float32) >= p).to(torch.float32)
    return keep * torch.tensor(1.0 / (1.0 - p), dtype=torch.float32)


# --------------------------------------------------------------------------
# Model math (float64), hand-written
# --------------------------------------------------------------------------
def lstm_layer(x, w_ih, w_hh, b_ih, b_hh, h0, c0):
    """x: [B,T,in] -> outputs [B,T,h], (h_T, c_T). Gate order i, f, g, o."""
    h, c = h0, c0
    outs = []
    for t in range(x.shape[1]):
        gates = x[:, t] @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
        gi, gf, gg, go = gates.chunk(4, dim=1)
        c = torch.sigmoid(gf) * c + torch.sigmoid(gi) * torch.tanh(gg)
        h = torch.sigmoid(go) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, dim=1), (h, c)


def zero_states(B):
    return [
        (torch.zeros(B, HID_SIZES[l], dtype=F64), torch.zeros(B, HID_SIZES[l], dtype=F64))
        for l in range(L)
    ]


def encode(P, tokens, states, masks=None):
    """Embedding + 3 LSTM layers. Returns last-layer outputs [B,T,E] and final states."""
    W = P["encoder.weight"]
    x = W[tokens]
    if masks is not None:
        x = x * masks["embed_rows"][tokens].unsqueeze(-1)
        x = x * masks["input"].unsqueeze(1)
    new_states = []
    for l in range(L):
        w_hh = P[f"rnns.{l}.weight_hh"]
        if masks is not None:
            w_hh = w_hh * masks[f"weight_hh.{l}"]
        x, st = lstm_layer(
            x, P[f"rnns.{l}.weight_ih"], w_hh, P[f"rnns.{l}.bias_ih"], P[f"rnns.{l}.bias_hh"],
            *states[l],
        )
        new_states.append(st)
        if masks is not None and l < L - 1:
            x = x * masks[f"hidden.{l}"].unsqueeze(1)
    if masks is not None:
        x = x * masks["output"].unsqueeze(1)
    return x, new_states


def lm_forward(P, tokens, states, masks=None):
    out, st = encode(P, tokens, states, masks)
    logits = out @ P["encoder.weight"].t() + P["decoder.bias"]  # tied, unmasked weight
    return logits, st


def cross_entropy(logits2d, targets):
    logp = logits2d - torch.logsumexp(logits2d, dim=1, keepdim=True)
    return -logp[torch.arange(targets.shape[0]), targets].mean()


def concat_pool(out, lengths):
    rows = []
    for b, n in enumerate(lengths):
        seq = out[b, :n]
        rows.append(torch.cat([seq[n - 1], seq.max(dim=0).values, seq.mean(dim=0)]))
    return torch.stack(rows)


def head_forward(P, x, train):
    """Returns logits and (for train) the batch stats per block."""
    stats = []
    nb = len(HEAD_SIZES) - 1
    for k in range(nb):
        if train:
            mean = x.mean(dim=0)
            var = ((x - mean) ** 2).mean(dim=0)  # biased
            stats.append((mean, var))
        else:
            mean = P[f"head.{k}.bn.running_mean"]
            var = P[f"head.{k}.bn.running_var"]
        x = (x - mean) / torch.sqrt(var + BN_EPS) * P[f"head.{k}.bn.weight"] + P[f"head.{k}.bn.bias"]
        # dropout p = 0 -> identity
        x = x @ P[f"head.{k}.linear.weight"].t() + P[f"head.{k}.linear.bias"]
        if k < nb - 1:
            x = torch.relu(x)
    return x, stats


MAX_SEED_TRIES = 100


def draw(seed):
    """All random draws (float32 params, int inputs, float32 masks) from one seeded generator."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    params32 = make_params(gen)
    lm_tokens = torch.randint(0, V, (LM_B, LM_T), generator=gen)
    lm_targets = torch.randint(0, V, (LM_B, LM_T), generator=gen)
    lm_tokens2 = torch.randint(0, V, (LM_B, LM_T), generator=gen)

    masks32 = {"embed_rows": make_mask(gen, (V,), P_EMBED), "input": make_mask(gen, (LM_B, E), P_INPUT)}
    for l in range(L - 1):
        masks32[f"hidden.{l}"] = make_mask(gen, (LM_B, HID_SIZES[l]), P_HIDDEN)
    masks32["output"] = make_mask(gen, (LM_B, E), P_OUTPUT)
    for l in range(L):
        masks32[f"weight_hh.{l}"] = make_mask(gen, (4 * HID_SIZES[l], HID_SIZES[l]), P_WEIGHT)

    cls_tokens = torch.full((CLS_B, CLS_T), PAD, dtype=torch.int64)
    for b, n in enumerate(CLS_LENGTHS):
        cls_tokens[b, :n] = torch.randint(2, V, (n,), generator=gen)
    cls_labels = torch.randint(0, C, (CLS_B,), generator=gen)
    return dict(params32=params32, masks32=masks32, lm_tokens=lm_tokens, lm_targets=lm_targets,
                lm_tokens2=lm_tokens2, cls_tokens=cls_tokens, cls_labels=cls_labels)


def degeneracy(d):
    """Reasons why a draw would make a weak test (empty list = fine)."""
    problems = []
    P = {n: t.to(F64) for n, t in d["params32"].items()}
    used = set(d["lm_tokens"].flatten().tolist())
    rows = d["masks32"]["embed_rows"]
    if not any(rows[t] == 0 for t in used) or not any(rows[t] != 0 for t in used):
        problems.append("embed_rows does not both drop and keep rows used by lm_tokens")
    if len(set(d["cls_labels"].tolist())) < 2:
        problems.append("cls_labels all equal")
    o, _ = encode(P, d["cls_tokens"], zero_states(CLS_B))
    pooled = concat_pool(o, CLS_LENGTHS)
    last, mx, mean = pooled[:, :E], pooled[:, E : 2 * E], pooled[:, 2 * E :]
    if (mx - last).abs().max() < 1e-2 or (mx - mean).abs().max() < 1e-2:
        problems.append("max pooling indistinguishable from last/mean")
    for train in (True, False):
        x = pooled
        mode = "train" if train else "eval"
        # head block 0 pre-ReLU activations: want both active and inactive units
        if train:
            m, v = x.mean(0), x.var(0, unbiased=False)
        else:
            m, v = P["head.0.bn.running_mean"], P["head.0.bn.running_var"]
        y = (x - m) / torch.sqrt(v + BN_EPS) * P["head.0.bn.weight"] + P["head.0.bn.bias"]
        z = y @ P["head.0.linear.weight"].t() + P["head.0.linear.bias"]
        pos = (z > 0).float().mean().item()
        if not 0.2 <= pos <= 0.8:
            problems.append(f"{mode} head ReLU active fraction {pos:.2f}")
        # every example must see at least one active unit, else its output ignores the encoder
        if ((z > 0).sum(1) == 0).any():
            problems.append(f"{mode} head: some example has all ReLUs dead")
    return problems



# --------------------------------------------------------------------------
# Independent checks with torch.nn modules
# --------------------------------------------------------------------------
def torch_lm_forward(P, tokens, states, masks=None):
    """Same as lm_forward but via nn.Embedding/nn.LSTM (float64). Returns logits, states, modules."""
    W = P["encoder.weight"].detach()
    emb = nn.Embedding(V, E).double()
    with torch.no_grad():
        emb.weight.copy_(W)
    x = emb(tokens)
    if masks is not None:
        x = x * masks["embed_rows"][tokens].unsqueeze(-1) * masks["input"].unsqueeze(1)
    lstms, st_out = [], []
    for l in range(L):
        m = nn.LSTM(IN_SIZES[l], HID_SIZES[l], batch_first=True).double()
        with torch.no_grad():
            w_hh = P[f"rnns.{l}.weight_hh"].detach()
            if masks is not None:
                w_hh = w_hh * masks[f"weight_hh.{l}"]
            m.weight_ih_l0.copy_(P[f"rnns.{l}.weight_ih"].detach())
            m.weight_hh_l0.copy_(w_hh)
            m.bias_ih_l0.copy_(P[f"rnns.{l}.bias_ih"].detach())
            m.bias_hh_l0.copy_(P[f"rnns.{l}.bias_hh"].detach())
        h0, c0 = states[l]
        x, (hT, cT) = m(x, (h0.unsqueeze(0).detach(), c0.unsqueeze(0).detach()))
        lstms.append(m)
        st_out.append((hT[0], cT[0]))
        if masks is not None and l < L - 1:
            x = x * masks[f"hidden.{l}"].unsqueeze(1)
    if masks is not None:
        x = x * masks["output"].unsqueeze(1)
    dec = nn.Linear(E, V).double()
    with torch.no_grad():
        dec.weight.copy_(W)
        dec.bias.copy_(P["decoder.bias"].detach())
    return dec(x), st_out, (emb, lstms, dec)


def torch_lm_grads(P, tokens, targets, masks=None):
    logits, _, (emb, lstms, dec) = torch_lm_forward(P, tokens, zero_states(tokens.shape[0]), masks)
    F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)).backward()
    g = {"encoder.weight": emb.weight.grad + dec.weight.grad, "decoder.bias": dec.bias.grad}
    for l, m in enumerate(lstms):
        gw = m.weight_hh_l0.grad
        if masks is not None:
            gw = gw * masks[f"weight_hh.{l}"]  # chain rule through the DropConnect mask
        g[f"rnns.{l}.weight_ih"] = m.weight_ih_l0.grad
        g[f"rnns.{l}.weight_hh"] = gw
        g[f"rnns.{l}.bias_ih"] = m.bias_ih_l0.grad
        g[f"rnns.{l}.bias_hh"] = m.bias_hh_l0.grad
    return g


def torch_head(P, pooled, train):
    nb = len(HEAD_SIZES) - 1
    layers, bns = [], []
    for k in range(nb):
        bn = nn.BatchNorm1d(HEAD_SIZES[k], eps=BN_EPS, momentum=BN_MOMENTUM).double()
        lin = nn.Linear(HEAD_SIZES[k], HEAD_SIZES[k + 1]).double()
        with torch.no_grad():
            bn.weight.copy_(P[f"head.{k}.bn.weight"].detach())
            bn.bias.copy_(P[f"head.{k}.bn.bias"].detach())
            bn.running_mean.copy_(P[f"head.{k}.bn.running_mean"].detach())
            bn.running_var.copy_(P[f"head.{k}.bn.running_var"].detach())
            lin.weight.copy_(P[f"head.{k}.linear.weight"].detach())
            lin.bias.copy_(P[f"head.{k}.linear.bias"].detach())
        layers += [bn, nn.Dropout(0.0), lin] + ([nn.ReLU()] if k < nb - 1 else [])
        bns.append(bn)
    seq = nn.Sequential(*layers)
    seq.train(train)
    return seq(pooled.detach()), bns


def finite_diff_check(name, loss_fn, P, grads, gen, n_dirs=3, eps=1e-6):
    """Compare autograd directional derivatives against central differences."""
    names = sorted(grads)
    for i in range(n_dirs):
        d = {n: torch.randn(P[n].shape, generator=gen, dtype=F64) for n in names}
        with torch.no_grad():
            plus = {**P, **{n: P[n] + eps * d[n] for n in names}}
            minus = {**P, **{n: P[n] - eps * d[n] for n in names}}
            fd = (loss_fn(plus) - loss_fn(minus)) / (2 * eps)
        ad = sum((grads[n] * d[n]).sum() for n in names)
        rel = abs(fd.item() - ad.item()) / max(1.0, abs(ad.item()))
        assert rel < 1e-6, f"finite-difference check {name} dir {i} failed: {fd.item()} vs {ad.item()}"
        print(f"  ok  {name + ' fd dir ' + str(i):<40s} rel err   = {rel:.2e}")


# --------------------------------------------------------------------------
# safetensors writer (stdlib only)
# --------------------------------------------------------------------------
def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        if t.dtype == torch.float32:
            dtype, fmt = "F32", "f"
        elif t.dtype == torch.int32:
            dtype, fmt = "I32", "i"
        else:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        vals = t.reshape(-1).tolist()
        blob = struct.pack(f"<{len(vals)}{fmt}", *vals)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    header["__metadata__"] = {"format": "fitlam-fixture"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        fmt = "f" if info["dtype"] == "F32" else "i"
        vals = struct.unpack(f"<{(e - b) // 4}{fmt}", raw[base + b : base + e])
        dt = torch.float32 if fmt == "f" else torch.int32
        out[name] = torch.tensor(vals, dtype=dt).reshape(info["shape"])
    return out


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="tests/fixtures")
    args = ap.parse_args()

    torch.set_num_threads(1)
    seed = None
    for cand in range(MAX_SEED_TRIES):
        d = draw(cand)
        problems = degeneracy(d)
        if not problems:
            seed = cand
            break
        print(f"seed {cand} rejected (degenerate fixture): {'; '.join(problems)}")
    assert seed is not None, "no non-degenerate seed found"
    print(f"using seed {seed}")
    gen = torch.Generator().manual_seed(1000 + seed)  # finite-difference directions only
    params32, masks32 = d["params32"], d["masks32"]
    lm_tokens, lm_targets, lm_tokens2 = d["lm_tokens"], d["lm_targets"], d["lm_tokens2"]
    cls_tokens, cls_labels = d["cls_tokens"], d["cls_labels"]

    P = {n: t.to(F64) for n, t in params32.items()}
    masks = {n: t.to(F64) for n, t in masks32.items()}
    out = {}

    lm_names = ["encoder.weight", "decoder.bias"] + [
        f"rnns.{l}.{w}" for l in range(L) for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    cls_names = (
        ["encoder.weight"]
        + [f"rnns.{l}.{w}" for l in range(L) for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        + [f"head.{k}.{w}" for k in range(len(HEAD_SIZES) - 1)
           for w in ("bn.weight", "bn.bias", "linear.weight", "linear.bias")]
    )

    def with_grad(names):
        Q = dict(P)
        for n in names:
            Q[n] = P[n].clone().requires_grad_(True)
        return Q

    print("self-checks (float64):")

    # ---- 1. LM, no dropout ------------------------------------------------
    Q = with_grad(lm_names)
    logits, states = lm_forward(Q, lm_tokens, zero_states(LM_B))
    loss = cross_entropy(logits.reshape(-1, V), lm_targets.reshape(-1))
    grads = dict(zip(lm_names, torch.autograd.grad(loss, [Q[n] for n in lm_names])))

    t_logits, t_states, _ = torch_lm_forward(P, lm_tokens, zero_states(LM_B))
    check("lm logits vs nn.LSTM", logits, t_logits)
    check("lm loss vs F.cross_entropy", loss, F.cross_entropy(t_logits.reshape(-1, V), lm_targets.reshape(-1)))
    for l in range(L):
        check(f"lm h.{l} vs nn.LSTM", states[l][0], t_states[l][0])
        check(f"lm c.{l} vs nn.LSTM", states[l][1], t_states[l][1])
    t_grads = torch_lm_grads(P, lm_tokens, lm_targets)
    for n in lm_names:
        check(f"lm grad {n}", grads[n], t_grads[n])
    finite_diff_check(
        "lm loss",
        lambda R: cross_entropy(lm_forward(R, lm_tokens, zero_states(LM_B))[0].reshape(-1, V), lm_targets.reshape(-1)),
        P, grads, gen,
    )

    out["expect.lm_logits"] = logits
    out["expect.lm_loss"] = loss
    for n in lm_names:
        out[f"expect.lm_grad.{n}"] = grads[n]
    for l in range(L):
        out[f"expect.lm_h.{l}"] = states[l][0]
        out[f"expect.lm_c.{l}"] = states[l][1]

    # ---- 2. Stateful continuation ----------------------------------------
    st_det = [(h.detach(), c.detach()) for h, c in states]
    logits2, _ = lm_forward(P, lm_tokens2, st_det)
    t_logits2, _, _ = torch_lm_forward(P, lm_tokens2, st_det)
    check("lm logits2 (stateful) vs nn.LSTM", logits2, t_logits2)
    out["expect.lm_logits2"] = logits2

    # ---- 3. LM with dropout masks ----------------------------------------
    Q = with_grad(lm_names)
    d_logits, _ = lm_forward(Q, lm_tokens, zero_states(LM_B), masks)
    d_loss = cross_entropy(d_logits.reshape(-1, V), lm_targets.reshape(-1))
    d_grads = dict(zip(lm_names, torch.autograd.grad(d_loss, [Q[n] for n in lm_names])))
    t_d_logits, _, _ = torch_lm_forward(P, lm_tokens, zero_states(LM_B), masks)
    check("lm drop logits vs nn.LSTM", d_logits, t_d_logits)
    t_d_grads = torch_lm_grads(P, lm_tokens, lm_targets, masks)
    for n in lm_names:
        check(f"lm drop grad {n}", d_grads[n], t_d_grads[n])
    finite_diff_check(
        "lm drop loss",
        lambda R: cross_entropy(
            lm_forward(R, lm_tokens, zero_states(LM_B), masks)[0].reshape(-1, V), lm_targets.reshape(-1)
        ),
        P, d_grads, gen,
    )
    assert (d_logits - logits).abs().max().item() > 1e-3, "dropout masks had no effect"
    out["expect.lm_drop_logits"] = d_logits
    out["expect.lm_drop_loss"] = d_loss
    for n in lm_names:
        out[f"expect.lm_drop_grad.{n}"] = d_grads[n]

    # ---- 4. Classifier, training-mode head -------------------------------
    def cls_loss_fn(R):
        o, _ = encode(R, cls_tokens, zero_states(CLS_B))
        pooled_ = concat_pool(o, CLS_LENGTHS)
        lg, st = head_forward(R, pooled_, train=True)
        return cross_entropy(lg, cls_labels), lg, pooled_, st

    Q = with_grad(cls_names)
    c_loss, c_logits, pooled, bstats = cls_loss_fn(Q)
    c_grads = dict(zip(cls_names, torch.autograd.grad(c_loss, [Q[n] for n in cls_names])))

    # independent: nn.LSTM encoder + masked pooling + nn.BatchNorm1d head
    # last-layer outputs via a separate, time-major nn.LSTM stack (decoder not needed)
    x = P["encoder.weight"][cls_tokens]
    for l in range(L):
        m = nn.LSTM(IN_SIZES[l], HID_SIZES[l]).double()  # time-major this time
        with torch.no_grad():
            m.weight_ih_l0.copy_(P[f"rnns.{l}.weight_ih"])
            m.weight_hh_l0.copy_(P[f"rnns.{l}.weight_hh"])
            m.bias_ih_l0.copy_(P[f"rnns.{l}.bias_ih"])
            m.bias_hh_l0.copy_(P[f"rnns.{l}.bias_hh"])
        x = m(x.transpose(0, 1))[0].transpose(0, 1)
    lens = torch.tensor(CLS_LENGTHS)
    valid = (torch.arange(CLS_T)[None, :] < lens[:, None]).unsqueeze(-1)
    t_last = x[torch.arange(CLS_B), lens - 1]
    t_max = x.masked_fill(~valid, float("-inf")).max(dim=1).values
    t_mean = (x * valid).sum(dim=1) / lens[:, None].to(F64)
    t_pooled = torch.cat([t_last, t_max, t_mean], dim=1)
    check("cls pooled vs nn.LSTM + masked pool", pooled, t_pooled)
    t_cls_logits, bns = torch_head(P, t_pooled, train=True)
    check("cls train logits vs nn.BatchNorm1d", c_logits, t_cls_logits)
    check("cls loss vs F.cross_entropy", c_loss, F.cross_entropy(t_cls_logits, cls_labels))
    finite_diff_check("cls loss", lambda R: cls_loss_fn(R)[0], P, c_grads, gen)

    nB = CLS_B
    for k, (mean, var) in enumerate(bstats):
        rm = (1 - BN_MOMENTUM) * P[f"head.{k}.bn.running_mean"] + BN_MOMENTUM * mean
        rv = (1 - BN_MOMENTUM) * P[f"head.{k}.bn.running_var"] + BN_MOMENTUM * var * nB / (nB - 1)
        check(f"cls running_mean.{k} vs nn.BatchNorm1d", rm, bns[k].running_mean)
        check(f"cls running_var.{k} vs nn.BatchNorm1d", rv, bns[k].running_var)
        out[f"expect.cls_running_mean.{k}"] = rm
        out[f"expect.cls_running_var.{k}"] = rv

    out["expect.cls_pooled"] = pooled
    out["expect.cls_logits_train"] = c_logits
    out["expect.cls_probs_train"] = torch.softmax(c_logits, dim=1)
    out["expect.cls_loss"] = c_loss
    for n in cls_names:
        out[f"expect.cls_grad.{n}"] = c_grads[n]

    # ---- 5. Classifier, eval-mode head -----------------------------------
    e_logits, _ = head_forward(P, pooled.detach(), train=False)
    t_e_logits, _ = torch_head(P, t_pooled, train=False)
    check("cls eval logits vs nn.BatchNorm1d", e_logits, t_e_logits)
    out["expect.cls_probs_eval"] = torch.softmax(e_logits, dim=1)

    # ---- collect & save ---------------------------------------------------
    tensors = {}
    for n, t in params32.items():
        tensors[f"param.{n}"] = t
    for n, t in masks32.items():
        tensors[f"mask.{n}"] = t
    tensors["input.lm_tokens"] = lm_tokens.to(torch.int32)
    tensors["input.lm_targets"] = lm_targets.to(torch.int32)
    tensors["input.lm_tokens2"] = lm_tokens2.to(torch.int32)
    tensors["input.cls_tokens"] = cls_tokens.to(torch.int32)
    tensors["input.cls_lengths"] = torch.tensor(CLS_LENGTHS, dtype=torch.int32)
    tensors["input.cls_labels"] = cls_labels.to(torch.int32)
    for n, t in out.items():
        tensors[n] = t.detach().to(torch.float32)

    os.makedirs(args.out, exist_ok=True)
    st_path = os.path.join(args.out, "parity_tiny.safetensors")
    write_safetensors(st_path, tensors)
    back = read_safetensors(st_path)
    assert sorted(back) == sorted(tensors)
    for n in tensors:
        assert torch.equal(back[n], tensors[n]), f"round-trip mismatch {n}"

    desc = describe(sorted(tensors))
    meta = {
        "description": "fitlam parity fixture: tiny AWD-LSTM LM + concat-pooling classifier, "
        "generated by tools/torch_reference.py (weights float32, math float64, results cast to float32)",
        "generator": f"tools/torch_reference.py, torch {torch.__version__}",
        "seed": seed,
        "config": {
            "vocab_size": V, "emb_size": E, "hidden_size": H, "n_layers": L,
            "layer_input_sizes": IN_SIZES, "layer_hidden_sizes": HID_SIZES,
            "pad_id": PAD, "tie_weights": True,
            "head_sizes": HEAD_SIZES, "n_classes": C, "head_dropout": [0.0, 0.0],
            "lm_batch": LM_B, "lm_bptt": LM_T,
            "cls_batch": CLS_B, "cls_seq_len": CLS_T, "cls_lengths": CLS_LENGTHS,
            "bn_eps": BN_EPS, "bn_momentum": BN_MOMENTUM,
            "dropout_p": {"embed": P_EMBED, "input": P_INPUT, "hidden": P_HIDDEN,
                          "output": P_OUTPUT, "weight_hh": P_WEIGHT},
            "gate_order": "i,f,g,o",
        },
        "conventions": CONVENTIONS,
        "keys": {n: {"dtype": "I32" if tensors[n].dtype == torch.int32 else "F32",
                     "shape": list(tensors[n].shape), "desc": desc[n]} for n in sorted(tensors)},
    }
    json_path = os.path.join(args.out, "parity_tiny.json")
    with open(json_path, "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    print(f"\nwrote {st_path} ({os.path.getsize(st_path)} bytes), {json_path} ({os.path.getsize(json_path)} bytes)")
    for n in sorted(tensors):
        print(f"  {n:<44s} {('I32' if tensors[n].dtype == torch.int32 else 'F32')} {list(tensors[n].shape)}")


CONVENTIONS = [
    "All tensors are batch-major: tokens [B,T], logits [B,T,V], states [B,h]. Tokens are int32.",
    "LSTM cell (nn.LSTM): gates = x W_ih^T + b_ih + h W_hh^T + b_hh, split into 4 chunks of h in order "
    "i,f,g,o; c' = sig(f)*c + sig(i)*tanh(g); h' = sig(o)*tanh(c'). Both biases are added.",
    "Decoder is tied: logits = out @ encoder.weight^T + decoder.bias.",
    "Losses are means over all positions (LM: B*T, classifier: B).",
    "Masks hold inverted-dropout values (0 or float32(1/(1-p))) and are multiplied in, in this order: "
    "embedded = W[tok] * embed_rows[tok][...,None] * input[:,None,:]; layer l (l<2) output *= hidden.{l}[:,None,:]; "
    "last layer output *= output[:,None,:]; layer l uses weight_hh * weight_hh.{l} at every step. "
    "The decoder uses the unmasked encoder.weight.",
    "Gradients are w.r.t. the raw parameters; encoder.weight's gradient includes both the embedding lookup "
    "and the tied decoder contribution.",
    "lm_logits2 starts from the (detached) final states lm_h/lm_c of the no-dropout run.",
    "Classifier: padding positions (pad id 1) are run through the LSTM from zero states; pooling uses only "
    "t < length: pooled = concat[O[b,len-1], max_t O[b,t], mean_t O[b,t]] (24 = 3*E).",
    "Head block k: BatchNorm1d -> Dropout(p=0) -> Linear, ReLU after block 0 only. Training-mode BN uses "
    "batch mean and biased batch variance: (x-mean)/sqrt(var+eps)*gamma+beta. Eval BN uses the original "
    "param.head.*.bn.running_* values.",
    "Running stats after one training forward: new = 0.9*old + 0.1*batch, with the unbiased (B/(B-1)) "
    "batch variance for running_var.",
    "cls_grad.* cover encoder.weight, rnns.*, head.*.bn.weight/bias, head.*.linear.*; not decoder.bias or "
    "running stats.",
    "All random draws come from one torch.Generator; the seed is the first in 0,1,2,... whose draw is not "
    "degenerate (e.g. seed 0 left every head ReLU dead in eval mode); it is recorded under 'seed'.",
    "Tolerance guide (this same math run in float32 vs the fixture): LM logits/loss/grads ~1e-7 abs; "
    "classifier ~3e-6 abs (training-mode BN divides by small batch std). Suggested test tolerances: "
    "1e-5 for LM values, 1e-4 for classifier values.",
]


def describe(names):
    d = {}
    for n in names:
        if n.startswith("param."):
            d[n] = f"parameter {n[6:]} (PyTorch layout)"
        elif n.startswith("mask."):
            d[n] = {
                "mask.embed_rows": f"embedding dropout, per vocabulary row (p={P_EMBED})",
                "mask.input": f"locked input dropout on embedding output, per [batch, feature] (p={P_INPUT})",
                "mask.output": f"locked output dropout on last layer output before decoder (p={P_OUTPUT})",
            }.get(n)
            if d[n] is None and n.startswith("mask.hidden."):
                d[n] = f"locked hidden dropout on output of layer {n.split('.')[-1]} (p={P_HIDDEN})"
            if d[n] is None and n.startswith("mask.weight_hh."):
                d[n] = f"DropConnect mask on rnns.{n.split('.')[-1]}.weight_hh (p={P_WEIGHT})"
        elif n.startswith("input."):
            d[n] = {
                "input.lm_tokens": "LM input ids, random in 0..V-1",
                "input.lm_targets": "LM target ids, random in 0..V-1",
                "input.lm_tokens2": "LM continuation ids (run from the final states of lm_tokens)",
                "input.cls_tokens": "classifier ids in 2..V-1, right-padded with pad id 1",
                "input.cls_lengths": "classifier document lengths",
                "input.cls_labels": "classifier labels in 0..C-1",
            }[n]
        elif n.startswith("expect.lm_drop_grad."):
            d[n] = f"d lm_drop_loss / d {n[len('expect.lm_drop_grad.'):]}"
        elif n.startswith("expect.lm_grad."):
            d[n] = f"d lm_loss / d {n[len('expect.lm_grad.'):]}"
        elif n.startswith("expect.cls_grad."):
            d[n] = f"d cls_loss / d {n[len('expect.cls_grad.'):]}"
        elif n.startswith("expect.lm_h."):
            d[n] = f"final hidden state of layer {n[-1]} after lm_tokens (no dropout, zero init)"
        elif n.startswith("expect.lm_c."):
            d[n] = f"final cell state of layer {n[-1]} after lm_tokens (no dropout, zero init)"
        elif n.startswith("expect.cls_running_mean."):
            d[n] = f"head.{n[-1]}.bn.running_mean after one training forward"
        elif n.startswith("expect.cls_running_var."):
            d[n] = f"head.{n[-1]}.bn.running_var after one training forward (unbiased batch var)"
        else:
            d[n] = {
                "expect.lm_logits": "LM logits, no dropout, zero initial states",
                "expect.lm_loss": "mean cross-entropy of lm_logits vs lm_targets",
                "expect.lm_logits2": "LM logits for lm_tokens2 continuing from lm_h/lm_c",
                "expect.lm_drop_logits": "LM logits with the mask.* dropout masks applied",
                "expect.lm_drop_loss": "mean cross-entropy of lm_drop_logits vs lm_targets",
                "expect.cls_pooled": "concat pooling [last, max, mean] of last-layer outputs over t < length",
                "expect.cls_logits_train": "classifier logits, head in training mode (batch-stat BN, p=0 dropout)",
                "expect.cls_probs_train": "softmax of cls_logits_train",
                "expect.cls_loss": "mean cross-entropy of cls_logits_train vs cls_labels",
                "expect.cls_probs_eval": "classifier softmax probs, head in eval mode (original running stats)",
            }[n]
    return d


if __name__ == "__main__":
    main()
