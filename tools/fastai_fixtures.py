#!/usr/bin/env python3
"""Tiny fastai-style AWD-LSTM language-model checkpoints for the importer tests.

Writes tests/fixtures/fastai/: one checkpoint per fastai generation with that
generation's exact state_dict key names and shape conventions, the pickled
vocabularies (itos), and the logits a plain PyTorch AWD-LSTM computes from
them (no dropout), so tests/fastai_import_test.ts can check that
`deno task import-fastai` reproduces the same language model.

  v07_fwd_wt103.h5   fastai 0.7 (FitLaM's fwd_wt103.h5): legacy torch.save
                     format, `encoder_with_dropout.embed`, `module.weight_hh_l0_raw`,
                     hidden 11, decoder without bias; itos with `_unk_`, `_pad_`, ...
  v1_lstm_fwd.pth    fastai v1: zip format, bare state_dict, `encoder_dp.emb`,
                     `rnns.N.weight_hh_l0_raw` plus the dropped-out copy
                     `rnns.N.module.weight_hh_l0` (different values: must be
                     ignored), hidden 12, decoder bias; some tensors are
                     non-contiguous or start at a storage offset.
  v1_half.pth        the v1 model in float16, legacy format.
  v2_lstm_bwd.pth    fastai v2: zip format, {'model': state_dict, 'opt': ...},
                     no dropped-out copy, vocabulary padded with `xxfake`.
  unknown_layout.pth a state_dict with other key names (an error case).
  untied_decoder.pth a v2 model whose decoder differs from the embedding (an error case).

Everything is small (vocab ~20, embedding 8) and deterministic. The expected
logits are computed in float64 from the float32 (or float16) weights, with
nn.LSTM checked against a hand-written cell loop.

Usage: /usr/bin/python3 tools/fastai_fixtures.py --out tests/fixtures/fastai
Needs only torch.
"""

import argparse
import collections
import json
import os
import pickle

import torch
import torch.nn as nn

F64 = torch.float64
E = 8
L = 3
B, T = 2, 5

V1_SPECIALS = "xxunk xxpad xxbos xxeos xxfld xxmaj xxup xxrep xxwrep".split()
V2_SPECIALS = "xxunk xxpad xxbos xxeos xxfld xxrep xxwrep xxup xxmaj".split()
WORDS = ["the", ".", ",", "of", "café", "n't", "…", "🙂", "1", "fastai", "wiki"]

V07_ITOS = ["_unk_", "_pad_", "the", "xbos", ".", "t_up", "xfld", ",", "tk_rep", "of",
            "café", "1", "t_mx", "wiki", "…"]
V1_ITOS = V1_SPECIALS + WORDS
V2_ITOS = V2_SPECIALS + WORDS
V2_ITOS = V2_ITOS + ["xxfake"] * ((8 - len(V2_ITOS) % 8) % 8)


def params(gen, vocab, hidden, decoder_bias):
    """Float32 weights of embedding, L LSTM layers (last returns to E) and decoder bias."""
    def u(*shape):
        return torch.rand(*shape, generator=gen, dtype=torch.float32) - 0.5

    p = {"emb": u(vocab, E), "layers": []}
    for l in range(L):
        n_in = E if l == 0 else hidden
        n_hid = E if l == L - 1 else hidden
        p["layers"].append({
            "w_ih": u(4 * n_hid, n_in),
            "w_hh": u(4 * n_hid, n_hid),
            "b_ih": u(4 * n_hid),
            "b_hh": u(4 * n_hid),
        })
    p["dec_bias"] = u(vocab) if decoder_bias else None
    return p


def lstm_loop(x, w_ih, w_hh, b_ih, b_hh):
    """x [B,T,in] -> [B,T,h], gate order i, f, g, o; zero initial state."""
    h = torch.zeros(x.shape[0], w_hh.shape[1], dtype=F64)
    c = torch.zeros_like(h)
    outs = []
    for t in range(x.shape[1]):
        g = x[:, t] @ w_ih.t() + b_ih + h @ w_hh.t() + b_hh
        gi, gf, gg, go = g.chunk(4, dim=1)
        c = torch.sigmoid(gf) * c + torch.sigmoid(gi) * torch.tanh(gg)
        h = torch.sigmoid(go) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs, dim=1)


def lm_logits(p, tokens):
    """Plain AWD-LSTM forward, eval mode: embedding -> nn.LSTM x L -> tied decoder."""
    emb = p["emb"].to(F64)
    x = emb[tokens]
    for layer in p["layers"]:
        w = {k: v.to(F64) for k, v in layer.items()}
        rnn = nn.LSTM(w["w_ih"].shape[1], w["w_hh"].shape[1], batch_first=True).to(F64)
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(w["w_ih"])
            rnn.weight_hh_l0.copy_(w["w_hh"])
            rnn.bias_ih_l0.copy_(w["b_ih"])
            rnn.bias_hh_l0.copy_(w["b_hh"])
            y, _ = rnn(x)
        ref = lstm_loop(x, w["w_ih"], w["w_hh"], w["b_ih"], w["b_hh"])
        assert (y - ref).abs().max().item() < 1e-12, "nn.LSTM differs from the cell loop"
        x = y
    logits = x @ emb.t()
    if p["dec_bias"] is not None:
        logits = logits + p["dec_bias"].to(F64)
    return logits


def offset_view(t):
    """The same values in a tensor that starts 3 elements into a larger storage."""
    flat = torch.cat([torch.full((3,), 7.0, dtype=t.dtype), t.reshape(-1)])
    return flat[3:].view(t.shape)


def transposed_view(t):
    """The same values with column-major strides (a non-contiguous tensor)."""
    v = t.t().contiguous().t()
    assert not v.is_contiguous()
    return v


def v07_state_dict(p):
    sd = collections.OrderedDict()
    sd["0.encoder.weight"] = p["emb"]
    sd["0.encoder_with_dropout.embed.weight"] = p["emb"]
    for l, w in enumerate(p["layers"]):
        sd[f"0.rnns.{l}.module.weight_ih_l0"] = w["w_ih"]
        sd[f"0.rnns.{l}.module.bias_ih_l0"] = w["b_ih"]
        sd[f"0.rnns.{l}.module.bias_hh_l0"] = w["b_hh"]
        sd[f"0.rnns.{l}.module.weight_hh_l0_raw"] = w["w_hh"]
    sd["1.decoder.weight"] = p["emb"]
    return sd


def v1_state_dict(p, gen, quirks=True):
    sd = collections.OrderedDict()
    sd["0.encoder.weight"] = p["emb"]
    sd["0.encoder_dp.emb.weight"] = p["emb"]
    for l, w in enumerate(p["layers"]):
        sd[f"0.rnns.{l}.weight_hh_l0_raw"] = w["w_hh"]
        w_ih = transposed_view(w["w_ih"]) if quirks and l == 1 else w["w_ih"]
        sd[f"0.rnns.{l}.module.weight_ih_l0"] = w_ih
        # fastai v1 keeps the last dropped-out copy in the state_dict.
        keep = (torch.rand(w["w_hh"].shape, generator=gen) >= 0.5).to(w["w_hh"].dtype)
        sd[f"0.rnns.{l}.module.weight_hh_l0"] = w["w_hh"] * keep * 2
        b_ih = offset_view(w["b_ih"]) if quirks and l == 0 else w["b_ih"]
        sd[f"0.rnns.{l}.module.bias_ih_l0"] = b_ih
        sd[f"0.rnns.{l}.module.bias_hh_l0"] = w["b_hh"]
    sd["1.decoder.weight"] = p["emb"]
    sd["1.decoder.bias"] = offset_view(p["dec_bias"]) if quirks else p["dec_bias"]
    return sd


def v2_state_dict(p):
    sd = collections.OrderedDict()
    sd["0.encoder.weight"] = p["emb"]
    sd["0.encoder_dp.emb.weight"] = p["emb"]
    for l, w in enumerate(p["layers"]):
        sd[f"0.rnns.{l}.weight_hh_l0_raw"] = w["w_hh"]
        sd[f"0.rnns.{l}.module.weight_ih_l0"] = w["w_ih"]
        sd[f"0.rnns.{l}.module.bias_ih_l0"] = w["b_ih"]
        sd[f"0.rnns.{l}.module.bias_hh_l0"] = w["b_hh"]
    sd["1.decoder.weight"] = p["emb"]
    sd["1.decoder.bias"] = p["dec_bias"]
    return sd


def tokens_for(gen, itos):
    # Ids from 2 (no padding) up to the first repeated entry: a repeat (xxfake)
    # has a row of its own here but shares the first one's id after the import.
    first_repeat = next((i for i, t in enumerate(itos) if t in itos[:i]), len(itos))
    return torch.randint(2, first_repeat, (B, T), generator=gen)


def dump_pickle(path, obj, protocol):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=protocol)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/fastai")
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(20180118)
    expected = {}

    def record(name, itos, p, hidden):
        tokens = tokens_for(gen, itos)
        logits = lm_logits(p, tokens)
        expected[name] = {
            "hidden": hidden,
            "vocab": len(itos),
            "tokens": tokens.tolist(),
            "logits": [round(v, 9) for v in logits.reshape(-1).tolist()],
            "shape": list(logits.shape),
        }

    # fastai 0.7: legacy format, no decoder bias, hidden 11.
    p07 = params(gen, len(V07_ITOS), 11, decoder_bias=False)
    torch.save(v07_state_dict(p07), f"{out}/v07_fwd_wt103.h5",
               _use_new_zipfile_serialization=False)
    dump_pickle(f"{out}/v07_itos_wt103.pkl", V07_ITOS, 2)
    record("v07_fwd_wt103.h5", V07_ITOS, p07, 11)

    # fastai v1: zip format, bare state_dict with views and the dropped-out copy.
    p1 = params(gen, len(V1_ITOS), 12, decoder_bias=True)
    torch.save(v1_state_dict(p1, gen), f"{out}/v1_lstm_fwd.pth")
    dump_pickle(f"{out}/v1_itos_wt103.pkl", V1_ITOS, 3)
    record("v1_lstm_fwd.pth", V1_ITOS, p1, 12)

    # The v1 model in float16, legacy format; expected logits from the rounded weights.
    half = {
        "emb": p1["emb"].half(),
        "layers": [{k: v.half() for k, v in w.items()} for w in p1["layers"]],
        "dec_bias": p1["dec_bias"].half(),
    }
    torch.save(v1_state_dict(half, gen, quirks=False), f"{out}/v1_half.pth",
               _use_new_zipfile_serialization=False)
    record("v1_half.pth", V1_ITOS, half, 12)

    # fastai v2: zip format, {'model': ..., 'opt': ...}, padded vocabulary.
    p2 = params(gen, len(V2_ITOS), 12, decoder_bias=True)
    sd2 = v2_state_dict(p2)
    opt = {
        "state": [{"grad_avg": torch.zeros(3), "sqr_avg": torch.ones(2, 2), "step": 7,
                   "do_wd": True, "mom": None} for _ in range(2)],
        "hypers": [{"lr": 1e-3, "mom": 0.9, "sqr_mom": 0.99, "eps": 1e-5, "wd": 0.01}],
    }
    torch.save({"model": sd2, "opt": opt}, f"{out}/v2_lstm_bwd.pth")
    dump_pickle(f"{out}/v2_itos_wt103.pkl", V2_ITOS, 5)
    record("v2_lstm_bwd.pth", V2_ITOS, p2, 12)

    # An error case: a state_dict that is no fastai language model.
    torch.save(collections.OrderedDict([("fc.weight", torch.zeros(2, 3)),
                                        ("fc.bias", torch.zeros(2))]),
               f"{out}/unknown_layout.pth")

    # An error case: a decoder that is not tied to the embedding.
    untied = v2_state_dict(p2)
    untied["1.decoder.weight"] = p2["emb"] + 0.25
    torch.save(untied, f"{out}/untied_decoder.pth")

    expected["itos"] = {"v07": V07_ITOS, "v1": V1_ITOS, "v2": V2_ITOS}
    with open(f"{out}/expected.json", "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
        f.write("\n")
    for name in sorted(os.listdir(out)):
        print(f"  {name:<22s} {os.path.getsize(os.path.join(out, name)):>7d} bytes")


if __name__ == "__main__":
    main()
