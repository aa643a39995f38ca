#!/usr/bin/env python3
"""Reference server for `deno task bench serve`: the smallest honest
PyTorch + http.server equivalent of `POST /v1/classify`.

It reads the vocabulary and labels of a fitlam classifier folder
(config.json), builds the PyTorch classifier of bench/torch_model.py with the
same sizes (random weights: speed only), and answers {"text": ...} or
{"texts": [...]} with {"results": [{label, score, scores}]}. Tokenization is
lower-case + a word/punctuation regex. One thread per connection
(ThreadingHTTPServer), no micro-batching. Prints {"port": N} once listening.
"""

import argparse
import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch

from torch_model import Classifier, setup

WORD = re.compile(r"\w+|[^\w\s]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True, help="a fitlam classifier folder")
    ap.add_argument("--preset", default="small")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    setup(a.threads)
    with open(f"{a.weights}/config.json") as f:
        config = json.load(f)
    itos = config["vocab"]
    labels = config["labels"]
    stoi = {w: i for i, w in enumerate(itos)}
    bos = stoi.get("xxbos", 2)
    pad = config.get("encoder", {}).get("padId", 1)
    model = Classifier(a.preset, len(itos), classes=len(labels)).eval()

    def encode(text):
        return [bos] + [stoi.get(w, 0) for w in WORD.findall(text.lower())]

    def classify(texts):
        seqs = [encode(t) for t in texts]
        T = max(len(s) for s in seqs)
        tokens = torch.full((len(seqs), T), pad, dtype=torch.long)
        for b, s in enumerate(seqs):
            tokens[b, :len(s)] = torch.tensor(s)
        lengths = torch.tensor([len(s) for s in seqs])
        with torch.inference_mode():
            probs = model(tokens, lengths).softmax(1).tolist()
        out = []
        for p in probs:
            best = max(range(len(p)), key=lambda i: p[i])
            out.append({"label": labels[best], "score": p[best],
                        "scores": dict(zip(labels, p))})
        return out

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def reply(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/healthz":
                self.reply(200, {"status": "ok"})
            else:
                self.reply(404, {"error": "not found"})

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.path != "/v1/classify":
                self.reply(404, {"error": "not found"})
                return
            try:
                req = json.loads(body)
                texts = [req["text"]] if "text" in req else list(req["texts"])
            except (ValueError, KeyError, TypeError):
                self.reply(422, {"error": "send {\"text\": ...} or {\"texts\": [...]}"})
                return
            self.reply(200, {"results": classify(texts)})

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
