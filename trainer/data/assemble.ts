/**
 * Turns rows read from files into a checked {@linkcode TaskData}: fixes the
 * label list, carves seeded test/valid splits when files lack them, and
 * rejects classes without training rows or labels unseen in training.
 *
 * @module
 */

import { stratifiedSplit } from "./split.ts";
import type { LabeledDoc, TaskData } from "./types.ts";

/** What the readers found; missing parts are split off `train`. */
export interface TaskParts {
  train: LabeledDoc[];
  valid?: LabeledDoc[];
  test?: LabeledDoc[];
  unlabeled?: string[];
  /** Every class in order (e.g. from `classes.txt`); default: the train labels, sorted. */
  labels?: string[];
}

/** Options of {@linkcode assembleTask}. */
export interface AssembleOptions {
  name: string;
  source: string;
  /** Seed for the splits. Default 42. */
  seed?: number;
  /** Share of train held out as test when there is no test part. Default 0.2. */
  testFraction?: number;
  /** Share of (remaining) train used as valid when there is no valid part; 0 for none. Default 0.1. */
  validFraction?: number;
}

/**
 * Builds and checks a task. Splits are stratified by label and seeded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assembleTask } from "./assemble.ts";
 * const train = Array.from({ length: 20 }, (_, i) => ({ text: `t${i}`, label: i % 2 ? "a" : "b" }));
 * const task = assembleTask({ train }, { name: "toy", source: "memory" });
 * assert.equal(task.test.length, 4);
 * assert.equal(task.valid!.length, 2);
 * assert.equal(task.train.length, 14);
 * ```
 */
export function assembleTask(parts: TaskParts, options: AssembleOptions): TaskData {
  const { name, source, seed = 42, testFraction = 0.2, validFraction = 0.1 } = options;
  const where = `task ${name} (${source})`;
  parts = withoutEmptyTexts(parts, where);
  let train = parts.train;
  if (train.length === 0) {
    const unlabelled = parts.unlabeled?.length
      ? ` with a label (${parts.unlabeled.length} without one); label some`
      : "; check the path and format";
    throw new Error(`Cannot load ${where}: no train rows${unlabelled}`);
  }
  const labels = parts.labels ?? sortLabels(new Set(train.map((r) => r.label)));
  if (new Set(labels).size !== labels.length) {
    throw new Error(`Cannot load ${where}: a label is listed twice in [${labels}]; list each once`);
  }
  if (labels.length < 2) {
    throw new Error(
      `Cannot load ${where}: every train row has the label ${JSON.stringify(labels[0])}; a ` +
        "classifier needs two labels or more: check the label column (--label-field) or add " +
        "rows of the other classes",
    );
  }
  checkKnown(train, "train", labels, where, "add it to the class list");
  // Texts read as labels (swapped or wrong columns) give nearly one class per row.
  if (!parts.labels && train.length >= 20 && labels.length > train.length / 2) {
    throw new Error(
      `Cannot load ${where}: ${labels.length} different labels in ${train.length} train rows ` +
        `(e.g. ${JSON.stringify(labels[0].slice(0, 40))}); the label column is probably the ` +
        "text: check the file's column order, or name the fields (--text-field, --label-field)",
    );
  }
  let test = parts.test;
  if (!test) [train, test] = stratifiedSplit(train, [1 - testFraction, testFraction], seed);
  let valid = parts.valid;
  if (!valid && validFraction > 0) {
    // A different seed from the test split, so the two draws are independent.
    [train, valid] = stratifiedSplit(train, [1 - validFraction, validFraction], seed + 1);
  }
  const counts = new Map<string, number>();
  for (const r of train) counts.set(r.label, (counts.get(r.label) ?? 0) + 1);
  for (const label of labels) {
    if (!counts.get(label)) {
      throw new Error(
        `Cannot load ${where}: class ${JSON.stringify(label)} has no train rows; ` +
          "add rows for it or drop it from the class list",
      );
    }
  }
  if (test.length === 0) {
    throw new Error(`Cannot load ${where}: no test rows; check the test file or testFraction`);
  }
  checkKnown(test, "test", labels, where, "fix the label or add train rows for it");
  if (valid) checkKnown(valid, "valid", labels, where, "fix the label or add train rows for it");
  const task: TaskData = { train, test, labels, name, source };
  if (valid) task.valid = valid;
  if (parts.unlabeled) task.unlabeled = parts.unlabeled;
  return task;
}

function checkKnown(
  rows: LabeledDoc[],
  part: string,
  labels: string[],
  where: string,
  fix: string,
): void {
  const known = new Set(labels);
  const bad = rows.find((r) => !known.has(r.label));
  if (bad) {
    throw new Error(
      `Cannot load ${where}: ${part} label ${JSON.stringify(bad.label)} is not among ` +
        `the train labels [${labels.join(", ")}]; ${fix}`,
    );
  }
}

/** `parts` without the rows whose text is empty or blank, saying how many were left out. */
function withoutEmptyTexts(parts: TaskParts, where: string): TaskParts {
  const blank = (text: string) => text.trim() === "";
  const dropped: string[] = [];
  const keep = (rows: LabeledDoc[] | undefined, split: string) => {
    if (!rows) return undefined;
    const kept = rows.filter((r) => !blank(r.text));
    if (kept.length < rows.length) dropped.push(`${rows.length - kept.length} ${split}`);
    return kept;
  };
  const out: TaskParts = { ...parts, train: keep(parts.train, "train")! };
  if (parts.valid) out.valid = keep(parts.valid, "valid");
  if (parts.test) out.test = keep(parts.test, "test");
  if (parts.unlabeled) {
    out.unlabeled = parts.unlabeled.filter((t) => !blank(t));
    const n = parts.unlabeled.length - out.unlabeled.length;
    if (n) dropped.push(`${n} unlabelled`);
  }
  if (dropped.length) {
    console.error(`note: ${where}: rows with an empty text left out: ${dropped.join(", ")}`);
  }
  return out;
}

/**
 * Sorts labels by code unit, or numerically when all are integers ("2" before "10").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortLabels } from "./assemble.ts";
 * assert.equal(sortLabels(["10", "2"]).join(), "2,10");
 * assert.equal(sortLabels(["spam", "ham"]).join(), "ham,spam");
 * ```
 */
export function sortLabels(labels: Iterable<string>): string[] {
  const list = [...labels];
  if (list.every((l) => /^-?\d+$/.test(l))) return list.sort((a, b) => Number(a) - Number(b));
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
