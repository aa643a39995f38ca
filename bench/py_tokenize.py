#!/usr/bin/env python3
"""Reference for `deno task bench tokenize`: a plain Python regex tokenizer
(lower-case, then re.findall of word runs and single punctuation marks) over
the same first megabytes of the same gzipped text, one line a document.
It does less than fitlam's fastai-style rules; it stands for "what a short
Python script does", not for an equivalent tokenizer.

Prints one JSON object: tokens per second (median of 3 timed passes after one
warm-up pass).
"""

import argparse
import gzip
import json
import platform
import re
import statistics
import time

WORD = re.compile(r"\w+|[^\w\s]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--path", required=True)
    ap.add_argument("--megabytes", type=float, default=10)
    ap.add_argument("--threads", type=int, default=1)  # accepted for the harness; one core
    a = ap.parse_args()
    with gzip.open(a.path, "rb") as f:
        data = f.read(int(a.megabytes * 1048576))
    lines = data.decode("utf-8", errors="replace").split("\n")
    if len(lines) > 1:
        lines.pop()
    docs = [l for l in lines if l.strip()]

    def run():
        return sum(len(WORD.findall(d.lower())) + 1 for d in docs)  # +1: a bos marker

    tokens = run()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    s = statistics.median(times)
    print(json.dumps({"tokens": tokens, "seconds": s, "tokens_per_second": tokens / s,
                      "python": platform.python_version()}))


if __name__ == "__main__":
    main()
