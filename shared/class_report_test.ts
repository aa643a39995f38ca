import assert from "node:assert/strict";
import { classReport, formatClassReport } from "./class_report.ts";
import { scoreLabels } from "./confusion.ts";

interface Case {
  name: string;
  k: number;
  truth: number[];
  pred: number[];
  accuracy: number;
  perLabel: { precision: number; recall: number; f1: number; support: number }[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
}

// Written by tools/sklearn_class_report.py (scikit-learn's precision_recall_fscore_support).
const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../tests/fixtures/class_report_sklearn.json", import.meta.url)),
) as { cases: Case[] };

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs scikit-learn's ${b}`);

Deno.test("classReport agrees with scikit-learn, rare, missing and unpredicted labels included", () => {
  assert.equal(fixture.cases.length, 5);
  for (const c of fixture.cases) {
    const labels = Array.from({ length: c.k }, (_, i) => `l${i}`);
    const r = classReport(labels, scoreLabels(c.truth, c.pred, c.k).confusion);
    close(r.accuracy, c.accuracy, `${c.name} accuracy`);
    assert.equal(r.total, c.truth.length);
    c.perLabel.forEach((want, i) => {
      for (const m of ["precision", "recall", "f1"] as const) {
        close(r.perLabel[i][m], want[m], `${c.name} ${labels[i]} ${m}`);
      }
      assert.equal(r.perLabel[i].support, want.support);
    });
    for (const avg of ["macro", "weighted"] as const) {
      for (const m of ["precision", "recall", "f1"] as const) {
        close(r[avg][m], c[avg][m], `${c.name} ${avg} ${m}`);
      }
    }
  }
});

Deno.test("classReport refuses a matrix that does not match the labels", () => {
  assert.throws(() => classReport(["a", "b", "c"], [[1, 0], [0, 1]]), /3 labels but a 2×2/);
});

Deno.test("formatClassReport lists the lowest F1 labels of a many-label task", () => {
  const labels = Array.from({ length: 20 }, (_, i) => `l${i}`);
  // Label i is right on 20 - i of 20 documents, wrong ones answered as the next label.
  const counts = labels.map((_, i) =>
    labels.map((_, j) => j === i ? 20 - i : j === (i + 1) % 20 ? i : 0)
  );
  const text = formatClassReport(classReport(labels, counts));
  const lines = text.split("\n");
  assert.equal(lines[0], "20 labels; the 5 with the lowest F1 (every label: test.json):");
  assert.deepEqual(lines.slice(2, 7).map((l) => l.split(/\s+/)[0]), [
    "l19",
    "l18",
    "l17",
    "l16",
    "l15",
  ]);
  assert.match(lines.at(-2)!, /^macro avg/);
  assert.equal(lines.length, 9);
});
