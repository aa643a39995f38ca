/**
 * Precision, recall and F1 per label, and their macro and support-weighted means, from a
 * confusion matrix: what accuracy hides when the labels are unbalanced (a classifier that never
 * answers the rare label can still score high). Defined as scikit-learn's
 * `precision_recall_fscore_support` with `zero_division=0` (tests/class_report_test.ts checks it
 * against scikit-learn).
 *
 * @module
 */

/** Precision, recall and F1 of one label or a mean of them. */
export interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

/** One label's scores and how many test documents carry it. */
export interface LabelScores extends Prf {
  label: string;
  support: number;
}

/** Every label's scores, their means, and accuracy. */
export interface ClassReport {
  perLabel: LabelScores[];
  /** The plain mean over labels: each label counts alike, however rare. */
  macro: Prf;
  /** The mean weighted by support. */
  weighted: Prf;
  accuracy: number;
  /** Documents scored. */
  total: number;
}

/** a / b, or 0 where b is 0 (scikit-learn's `zero_division=0`). */
const ratio = (a: number, b: number) => b === 0 ? 0 : a / b;

/**
 * The report of a confusion matrix (rows true labels, columns predicted, as `scoreLabels` makes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classReport } from "./class_report.ts";
 * // 10 ham, 2 spam; one spam caught, one ham taken for spam.
 * const r = classReport(["ham", "spam"], [[9, 1], [1, 1]]);
 * assert.deepEqual(r.perLabel[1], { label: "spam", precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
 * assert.equal(r.perLabel[0].recall, 0.9);
 * assert.equal(r.macro.recall, 0.7);
 * assert.equal(r.accuracy, 10 / 12);
 * ```
 */
export function classReport(labels: string[], counts: number[][]): ClassReport {
  const k = labels.length;
  if (counts.length !== k || counts.some((row) => row.length !== k)) {
    throw new Error(
      `Cannot score labels: ${k} labels but a ${counts.length}×${counts[0]?.length ?? 0} ` +
        "confusion matrix; pass one row and one column per label",
    );
  }
  const predicted = labels.map((_, j) => counts.reduce((a, row) => a + row[j], 0));
  const perLabel = labels.map((label, i) => {
    const support = counts[i].reduce((a, b) => a + b, 0);
    const precision = ratio(counts[i][i], predicted[i]);
    const recall = ratio(counts[i][i], support);
    return {
      label,
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support,
    };
  });
  const total = perLabel.reduce((a, l) => a + l.support, 0);
  const mean = (weight: (l: LabelScores) => number, sum: number): Prf => ({
    precision: perLabel.reduce((a, l) => a + weight(l) * l.precision, 0) / sum,
    recall: perLabel.reduce((a, l) => a + weight(l) * l.recall, 0) / sum,
    f1: perLabel.reduce((a, l) => a + weight(l) * l.f1, 0) / sum,
  });
  const right = labels.reduce((a, _, i) => a + counts[i][i], 0);
  return {
    perLabel,
    macro: mean(() => 1, Math.max(1, k)),
    weighted: total ? mean((l) => l.support, total) : { precision: 0, recall: 0, f1: 0 },
    accuracy: ratio(right, total),
    total,
  };
}

/**
 * The labels a classifier seldom finds: recall under `minRecall` (default 0.2) on at least
 * `minSupport` (default 5) documents of the label, worst first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classReport, missedLabels } from "./class_report.ts";
 * // "rare" is answered once in its 10 documents.
 * const r = classReport(["common", "rare"], [[50, 0], [9, 1]]);
 * assert.deepEqual(missedLabels(r).map((l) => [l.label, l.recall]), [["rare", 0.1]]);
 * assert.deepEqual(missedLabels(r, 0.2, 11), []);
 * ```
 */
export function missedLabels(r: ClassReport, minRecall = 0.2, minSupport = 5): LabelScores[] {
  return r.perLabel.filter((l) => l.support >= minSupport && l.recall < minRecall)
    .sort((a, b) => a.recall - b.recall);
}

/**
 * The report as a text table, one row per label then the means (as scikit-learn's
 * `classification_report` lays it out). Beyond `maxLabels` labels only the `worst` with the
 * lowest F1 are listed (said in a first line), so the table fits a terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classReport, formatClassReport } from "./class_report.ts";
 * const text = formatClassReport(classReport(["ham", "spam"], [[9, 1], [1, 1]]));
 * assert.match(text, /spam\s+0\.500\s+0\.500\s+0\.500\s+2/);
 * assert.match(text, /macro avg\s+0\.700/);
 * ```
 */
export function formatClassReport(r: ClassReport, maxLabels = 12, worst = 5): string {
  const f = (x: number) => x.toFixed(3);
  const many = r.perLabel.length > maxLabels;
  const shown = many
    ? r.perLabel.toSorted((a, b) => a.f1 - b.f1 || b.support - a.support).slice(0, worst)
    : r.perLabel;
  const rows = [
    ["", "precision", "recall", "f1", "support"],
    ...shown.map((l) => [l.label, f(l.precision), f(l.recall), f(l.f1), String(l.support)]),
    ["macro avg", f(r.macro.precision), f(r.macro.recall), f(r.macro.f1), String(r.total)],
    [
      "weighted avg",
      f(r.weighted.precision),
      f(r.weighted.recall),
      f(r.weighted.f1),
      String(r.total),
    ],
  ];
  const widths = rows[0].map((_, j) => Math.max(...rows.map((row) => row[j].length)));
  const note = many
    ? [`${r.perLabel.length} labels; the ${worst} with the lowest F1 (every label: test.json):`]
    : [];
  return [
    ...note,
    ...rows.map((row) =>
      row.map((c, j) => j ? c.padStart(widths[j]) : c.padEnd(widths[j])).join("  ").trimEnd()
    ),
  ].join("\n");
}
