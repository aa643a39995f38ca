#!/usr/bin/env python3
"""PyTorch reference for `deno task bench infer`: classifier inference on
random documents of `--tokens` tokens (BPT3C chunks of 70, concat pooling,
BatchNorm/Linear head), under torch.inference_mode.

Prints one JSON object: median milliseconds per batch-1 document and
documents per second at `--batch`.
"""

import argparse

import torch

from torch_model import Classifier, describe, emit, setup, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small")
    ap.add_argument("--vocab", type=int, default=5000)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--batch-reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    setup(a.threads)
    dev = torch.device(a.device)
    model = Classifier(a.preset, a.vocab).eval().to(dev)
    g = torch.Generator().manual_seed(2)
    one = torch.randint(2, a.vocab, (1, a.tokens), generator=g).to(dev)
    many = torch.randint(2, a.vocab, (a.batch, a.tokens), generator=g).to(dev)
    one_len = torch.tensor([a.tokens], device=dev)
    lengths = torch.full((a.batch,), a.tokens, device=dev)
    with torch.inference_mode():
        # .tolist() copies the probabilities to the host, which also waits for a GPU.
        latency, _ = timed(lambda: model(one, one_len).softmax(1).tolist(), 2, a.reps)
        batch_s, _ = timed(lambda: model(many, lengths).softmax(1).tolist(), 1, a.batch_reps)
    emit({
        "latency_ms": latency * 1000,
        "docs_per_second": a.batch / batch_s,
        "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
        **describe(a.threads),
    })


if __name__ == "__main__":
    main()
