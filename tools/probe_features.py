"""Linear probe of an LM's pooled features (written by probe_features.ts)
beside TF-IDF (word 1-2-grams, sublinear tf) + logistic regression, at 100,
500, 1,000 and all training labels (seeded, label-stratified samples).
C is chosen on the validation split for both; accuracy is on the test split.

    /usr/bin/python3 tools/probe_features.py PREFIX [--seed 42]
"""
import argparse, json
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler


def sample(rng, train, y, n):
    if n >= len(train):
        return train
    labels = sorted(set(y[train]))
    picked = [rng.choice(train[y[train] == c], n // len(labels), replace=False) for c in labels]
    return np.concatenate(picked)


def best_on_valid(fit, Cs, valid, test):
    scored = [(m.score(*valid), m.score(*test), C) for C in Cs for m in [fit(C)]]
    return max(scored)  # highest validation accuracy; its test accuracy and C


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    meta = json.load(open(a.prefix + ".json"))
    X = np.fromfile(a.prefix + ".f32", dtype=np.float32).reshape(-1, meta["width"])
    y, split = np.array(meta["labels"]), np.array(meta["split"])
    text = np.array(meta["text"], dtype=object)
    tr, va, te = (np.where(split == s)[0] for s in ("train", "valid", "test"))
    last = np.arange(X.shape[1] - 3 * meta["sizes"][-1], X.shape[1])
    rng = np.random.RandomState(a.seed)
    print(f"| labels | LM last layer | LM all layers | TF-IDF + LR |  ({meta['lm']})")
    print("|---|---|---|---|")
    for n in (100, 500, 1000, len(tr)):
        s = sample(rng, tr, y, n)
        row = [str(len(s))]
        for cols in (last, np.arange(X.shape[1])):
            sc = StandardScaler().fit(X[s][:, cols])
            f = lambda idx: sc.transform(X[idx][:, cols])
            fit = lambda C: LogisticRegression(C=C, max_iter=3000).fit(f(s), y[s])
            _, acc, C = best_on_valid(fit, (0.003, 0.01, 0.1, 1), (f(va), y[va]), (f(te), y[te]))
            row.append(f"{100 * acc:.1f}% (C {C})")
        v = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(text[s])
        g = lambda idx: v.transform(text[idx])
        fit = lambda C: LogisticRegression(C=C, max_iter=3000).fit(g(s), y[s])
        _, acc, C = best_on_valid(fit, (1, 10, 100), (g(va), y[va]), (g(te), y[te]))
        row.append(f"{100 * acc:.1f}% (C {C})")
        print("| " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    main()
