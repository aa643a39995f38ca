/**
 * Shapes shared by every reader in this folder. Readers yield raw text:
 * tokenization happens elsewhere, so nothing here lowercases or splits words.
 *
 * @module
 */

/**
 * One labelled document of a target task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { LabeledDoc } from "./types.ts";
 * const doc: LabeledDoc = { text: "What a film!", label: "pos" };
 * assert.equal(doc.label, "pos");
 * ```
 */
export interface LabeledDoc {
  /** The raw document text. */
  text: string;
  /** The class name (never an index, so splits and label lists stay readable). */
  label: string;
}

/**
 * A target task ready for fine-tuning and classification.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TaskData } from "./types.ts";
 * const task: TaskData = {
 *   train: [{ text: "good", label: "pos" }, { text: "bad", label: "neg" }],
 *   test: [{ text: "fine", label: "pos" }],
 *   labels: ["neg", "pos"],
 *   name: "toy",
 *   source: "hand-written",
 * };
 * assert.equal(task.labels.length, 2);
 * ```
 */
export interface TaskData {
  /** Training rows. */
  train: LabeledDoc[];
  /** Validation rows (for early stopping and tuning), when the task has them. */
  valid?: LabeledDoc[];
  /** Held-out rows, reported once at the end. */
  test: LabeledDoc[];
  /** Extra in-domain text without labels (e.g. IMDb `train/unsup`), for LM fine-tuning. */
  unlabeled?: string[];
  /** Every class name, in a fixed order; a class index is a position in this list. */
  labels: string[];
  /** Short task name, e.g. `"imdb"`. */
  name: string;
  /** Where the rows came from (a path or a package), for run logs. */
  source: string;
}
