#!/usr/bin/env python3
"""PyTorch reference for `deno task bench train`: AWD-LSTM language-model
training steps (forward, backward, clipping, AdamW) on random tokens.

Prints one JSON object: median seconds per step and tokens per second.
Run: OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train.py --preset small --bs 64
"""

import argparse

import torch

from torch_model import AwdLstm, describe, emit, setup, timed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="small")
    ap.add_argument("--vocab", type=int, default=5000)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--bptt", type=int, default=70)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    setup(a.threads)
    dev = torch.device(a.device)
    model = AwdLstm(a.preset, a.vocab).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.7, 0.99), eps=1e-8,
                            weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, a.vocab, (a.bs, a.bptt), generator=g).to(dev)
    y = torch.randint(0, a.vocab, (a.bs, a.bptt), generator=g).to(dev)
    state = [tuple(t.to(dev) for t in s) for s in model.zero_state(a.bs)]
    losses = []

    def step():
        nonlocal state
        opt.zero_grad(set_to_none=True)
        loss, ce, state = model.lm_loss(x, y, state)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()
        losses.append(ce.item())  # the trainer reads the loss every step too
        if dev.type == "cuda":
            torch.cuda.synchronize()

    seconds, times = timed(step, a.warmup, a.steps)
    emit({
        "seconds_per_step": seconds,
        "tokens_per_second": a.bs * a.bptt / seconds,
        "times": times,
        "loss": losses[-1],
        "device": torch.cuda.get_device_name() if dev.type == "cuda" else "cpu",
        **describe(a.threads),
    })


if __name__ == "__main__":
    main()
