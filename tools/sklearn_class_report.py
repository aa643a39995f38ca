#!/usr/bin/env python3
"""scikit-learn's per-label precision, recall and F1 for tests/class_report_test.ts.

Draws a few label sequences from a fixed seed (balanced, skewed, a label never predicted, a label
never true, one label only), scores them with sklearn.metrics.precision_recall_fscore_support
(zero_division=0, every label listed) and accuracy_score, and writes the cases with their counts
and scores as JSON. Run with Debian's Python:

  /usr/bin/python3 tools/sklearn_class_report.py --out tests/fixtures/class_report_sklearn.json
"""

import argparse
import json
import random

from sklearn.metrics import accuracy_score, precision_recall_fscore_support


def case(name, k, truth, pred):
    labels = list(range(k))
    out = {"name": name, "k": k, "truth": truth, "pred": pred,
           "accuracy": accuracy_score(truth, pred)}
    p, r, f, s = precision_recall_fscore_support(
        truth, pred, labels=labels, average=None, zero_division=0)
    out["perLabel"] = [{"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                        "support": int(s[i])} for i in labels]
    for avg in ("macro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            truth, pred, labels=labels, average=avg, zero_division=0)
        out[avg] = {"precision": float(p), "recall": float(r), "f1": float(f)}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = random.Random(7)
    cases = []
    truth = [rng.randrange(4) for _ in range(200)]
    pred = [t if rng.random() < 0.7 else rng.randrange(4) for t in truth]
    cases.append(case("balanced, 4 labels", 4, truth, pred))
    truth = [0 if rng.random() < 0.9 else 1 for _ in range(300)]
    pred = [t if rng.random() < 0.85 else 1 - t for t in truth]
    cases.append(case("skewed, 2 labels", 2, truth, pred))
    truth = [rng.randrange(3) for _ in range(60)]
    pred = [t if t != 2 and rng.random() < 0.8 else rng.randrange(2) for t in truth]
    cases.append(case("label 2 never predicted", 3, truth, pred))
    truth = [rng.randrange(2) for _ in range(50)]
    pred = [t if rng.random() < 0.8 else 2 for t in truth]
    cases.append(case("label 2 never true", 3, truth, pred))
    truth = [1] * 10
    pred = [1] * 7 + [0] * 3
    cases.append(case("one true label", 2, truth, pred))
    with open(args.out, "w") as f:
        json.dump({"sklearn": __import__("sklearn").__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
