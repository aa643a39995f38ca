/**
 * Scoring predicted classes: the most probable class, accuracy and confusion counts, and the
 * confusion matrix as text for the trainer's and `deno task predict`'s reports.
 *
 * @module
 */

/** Labels up to which {@linkcode formatConfusion} prints the whole matrix. */
export const MATRIX_LABELS = 12;

/**
 * A confusion matrix as text: one row per true label, one column per predicted label. Beyond
 * `maxLabels` labels (default {@linkcode MATRIX_LABELS}) a matrix no longer fits a terminal, so
 * the most frequent confusions are listed instead, with each label's recall where it is lowest.
 *
 * @example
 * ```ts
 * import { formatConfusion } from "./confusion.ts";
 * console.log(formatConfusion(["ham", "spam"], [[9, 1], [2, 8]]));
 * ```
 */
export function formatConfusion(
  labels: string[],
  counts: number[][],
  maxLabels = MATRIX_LABELS,
): string {
  if (labels.length > maxLabels) return confusionSummary(labels, counts);
  const cells = [
    ["true \\ predicted", ...labels],
    ...labels.map((l, i) => [l, ...counts[i].map(String)]),
  ];
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  return cells.map((r) =>
    r.map((c, j) => j ? c.padStart(widths[j]) : c.padEnd(widths[j])).join("  ")
  )
    .join("\n");
}

/** The ten most frequent confusions and the five lowest recalls of a many-label matrix. */
function confusionSummary(labels: string[], counts: number[][]): string {
  const pairs: [number, number, number][] = [];
  counts.forEach((row, i) => row.forEach((n, j) => i !== j && n > 0 && pairs.push([n, i, j])));
  pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  const recall = counts
    .map((row, i) => ({ i, n: row.reduce((a, b) => a + b, 0), right: row[i] }))
    .filter((r) => r.n > 0)
    .sort((a, b) => a.right / a.n - b.right / b.n || b.n - a.n);
  return [
    `${labels.length} labels, too many for a matrix; the most frequent confusions ` +
    "(true → predicted: documents):",
    ...pairs.slice(0, 10).map(([n, i, j]) => `  ${labels[i]} → ${labels[j]}: ${n}`),
    "lowest recall (right / documents of the label):",
    ...recall.slice(0, 5).map((r) => `  ${labels[r.i]}: ${r.right} / ${r.n}`),
  ].join("\n");
}

/**
 * Accuracy and confusion counts (row = true class, column = predicted class) of predicted class
 * indices against true ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreLabels } from "./confusion.ts";
 * const s = scoreLabels([0, 1, 1, 0], [0, 1, 0, 0], 2);
 * assert.equal(s.accuracy, 0.75);
 * assert.deepEqual(s.confusion, [[2, 0], [1, 1]]);
 * ```
 */
export function scoreLabels(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  numClasses: number,
): { accuracy: number; confusion: number[][] } {
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let right = 0;
  for (let i = 0; i < predicted.length; i++) {
    confusion[truth[i]][predicted[i]]++;
    if (predicted[i] === truth[i]) right++;
  }
  return { accuracy: right / Math.max(1, predicted.length), confusion };
}

/**
 * Index of the largest entry (the first on ties, as NumPy's `argmax`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmax } from "./confusion.ts";
 * assert.equal(argmax([0.2, 0.5, 0.3]), 1);
 * ```
 */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

/**
 * Accuracy and confusion matrix of predicted probabilities (the most probable class wins).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreProbabilities } from "./confusion.ts";
 * const probs = [Float32Array.of(0.9, 0.1), Float32Array.of(0.3, 0.7)];
 * assert.deepEqual(scoreProbabilities(probs, [0, 0], 2), { accuracy: 0.5, confusion: [[1, 1], [0, 0]] });
 * ```
 */
export function scoreProbabilities(
  probs: readonly Float32Array[],
  labels: readonly number[],
  numClasses: number,
): { accuracy: number; confusion: number[][] } {
  return scoreLabels(labels, probs.map(argmax), numClasses);
}

/**
 * Validation splits with fewer documents than this are too small to choose between models on:
 * accuracy moves in steps of 1/n and its standard error is near 3 points even at 300 (√(p(1 − p)
 * / n), p = 0.5). Below it, stage 3 keeps its last epoch instead of choosing one, self-training's
 * check also scores the labelled documents out of fold, and the blend leans on that check.
 */
export const SMALL_VALIDATION = 300;
