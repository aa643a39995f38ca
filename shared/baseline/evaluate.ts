/**
 * The baseline scored on a test split: {@linkcode evaluateBaseline} trains it and measures
 * accuracy and the confusion matrix, {@linkcode baselineRow} is the result as a
 * `metrics.jsonl` row.
 *
 * @module
 */

import { scoreLabels } from "../confusion.ts";
import {
  type BaselineDoc,
  type BaselineOptions,
  type GridPoint,
  labelIndices,
  trainBaseline,
} from "./train.ts";

/** What {@linkcode evaluateBaseline} measured on the test rows. */
export interface BaselineResult {
  name: "tfidf-lr";
  accuracy: number;
  /** Counts: row = true class, column = predicted class, in `labels` order. */
  confusion: number[][];
  labels: string[];
  C: number;
  /** Wall-clock seconds of training and test prediction. */
  seconds: number;
  features: number;
  grid: GridPoint[];
}

/** The `metrics.jsonl` row `trainer/report.ts` renders beside the fitlam test accuracies. */
export interface BaselineRow {
  type: "baseline";
  name: "tfidf-lr";
  accuracy: number;
  C: number;
  seconds: number;
  confusion: number[][];
  labels: string[];
}

/**
 * Trains the baseline on `train` and scores it on `test`; `labels` fixes the
 * class order of the confusion matrix (the task's label list).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baselineRow, evaluateBaseline } from "./evaluate.ts";
 * const train = ["good fun", "good film", "bad film", "bad plot"].map((text) => ({
 *   text,
 *   label: text.startsWith("good") ? "pos" : "neg",
 * }));
 * const r = evaluateBaseline(train, [{ text: "bad fun", label: "neg" }], ["pos", "neg"], {
 *   grid: [10],
 * });
 * assert.deepEqual(r.confusion, [[0, 0], [0, 1]]);
 * assert.equal(baselineRow(r).type, "baseline");
 * ```
 */
export function evaluateBaseline(
  train: readonly BaselineDoc[],
  test: readonly BaselineDoc[],
  labels: readonly string[],
  options: Omit<BaselineOptions, "labels"> = {},
): BaselineResult {
  const start = performance.now();
  if (test.length === 0) {
    throw new Error("Cannot evaluate the baseline: no test documents; pass the task's test rows");
  }
  const yTest = labelIndices(test, labels, "evaluate the baseline");
  const b = trainBaseline(train, { ...options, labels });
  const predicted = b.predict(test.map((d) => d.text));
  const { accuracy, confusion } = scoreLabels(yTest, predicted, labels.length);
  return {
    name: "tfidf-lr",
    accuracy,
    confusion,
    labels: [...labels],
    C: b.C,
    seconds: (performance.now() - start) / 1000,
    features: b.features,
    grid: b.grid,
  };
}

/**
 * The `metrics.jsonl` row for a result, as `trainer/report.ts` reads it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baselineRow } from "./evaluate.ts";
 * const row = baselineRow({
 *   name: "tfidf-lr", accuracy: 0.9, confusion: [[9, 1], [1, 9]], labels: ["a", "b"],
 *   C: 10, seconds: 1.5, features: 100, grid: [],
 * });
 * assert.deepEqual(Object.keys(row), ["type", "name", "accuracy", "C", "seconds", "confusion", "labels"]);
 * ```
 */
export function baselineRow(r: BaselineResult): BaselineRow {
  const { name, accuracy, C, seconds, confusion, labels } = r;
  return { type: "baseline", name, accuracy, C, seconds, confusion, labels };
}
