/**
 * Out-of-fold estimates for the bag-of-words model where validation is too small to trust:
 * each labelled document scored by a model trained without it.
 *
 * @module
 */
import { argmax } from "../confusion.ts";
import { type Baseline, type BaselineDoc, labelIndices, trainBaseline } from "./mod.ts";

/**
 * Fold of each document: the documents of each label (labels in order of first appearance) are
 * dealt to folds 0, 1, … in turn, each label going on where the one before stopped, so every fold
 * holds each label's share and all folds are the same size within one document. (Starting each
 * label at fold 0 put every document of a set with one per label into fold 0, leaving that
 * fold nothing to train on.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stratifiedFolds } from "./cross_val.ts";
 * assert.deepEqual(stratifiedFolds([0, 0, 1, 0, 1, 1], 2), [0, 1, 1, 0, 0, 1]);
 * // One document per label: still one per fold in turn.
 * assert.deepEqual(stratifiedFolds([0, 1, 2, 3, 4, 5], 3), [0, 1, 2, 0, 1, 2]);
 * ```
 */
export function stratifiedFolds(labels: ArrayLike<number>, folds: number): number[] {
  const byLabel = new Map<number, number[]>();
  Array.from(labels).forEach((k, i) => {
    const list = byLabel.get(k);
    if (list) list.push(i);
    else byLabel.set(k, [i]);
  });
  const foldOf = new Array<number>(labels.length);
  let next = 0;
  for (const list of byLabel.values()) for (const i of list) foldOf[i] = next++ % folds;
  return foldOf;
}

/**
 * The documents (indices) fold `f` holds out and the ones it trains on, for folds from
 * {@linkcode stratifiedFolds}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { foldSplit } from "./cross_val.ts";
 * assert.deepEqual(foldSplit([0, 1, 0, 0, 1, 0], 1), { held: [1, 4], train: [0, 2, 3, 5] });
 * ```
 */
export function foldSplit(
  foldOf: readonly number[],
  f: number,
): { held: number[]; train: number[] } {
  const held: number[] = [], train: number[] = [];
  foldOf.forEach((g, i) => (g === f ? held : train).push(i));
  return { held, train };
}

/**
 * Accuracy of `plain`'s recipe (its C, labels, TF-IDF and label weights) on each labelled
 * document, trained on the other folds; undefined when there are fewer than two documents a fold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBaseline } from "./mod.ts";
 * import { outOfFoldAccuracy } from "./cross_val.ts";
 * const doc = (label: string, text: string) => ({ text, label });
 * // "goal" and "chip" decide; held out, each document is still placed by its other copies.
 * const docs = [..."12345"].flatMap((i) => [doc("sport", `goal ${i}`), doc("tech", `chip ${i}`)]);
 * const plain = trainBaseline(docs, { grid: [10] });
 * assert.equal(outOfFoldAccuracy(docs, plain), 1);
 * assert.equal(outOfFoldAccuracy(docs.slice(0, 4), plain), undefined);
 * ```
 */
export function outOfFoldAccuracy(
  docs: readonly BaselineDoc[],
  plain: Baseline,
  folds = 5,
): number | undefined {
  const probs = outOfFoldProbabilities(docs, plain, folds);
  if (!probs) return undefined;
  const right = probs.filter((p, i) => plain.labels[argmax(p)] === docs[i].label).length;
  return right / docs.length;
}

/**
 * Class probabilities of `plain`'s recipe (its C, labels, TF-IDF and label weights) on each
 * labelled document, trained on the other folds; undefined when there are fewer than two
 * documents a fold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBaseline } from "./mod.ts";
 * import { outOfFoldProbabilities } from "./cross_val.ts";
 * const doc = (label: string, text: string) => ({ text, label });
 * const docs = [..."12345"].flatMap((i) => [doc("sport", `goal ${i}`), doc("tech", `chip ${i}`)]);
 * const probs = outOfFoldProbabilities(docs, trainBaseline(docs, { grid: [10] }))!;
 * assert.equal(probs.length, 10);
 * assert.ok(probs.every((p, i) => p[i % 2] > 0.5)); // sport first, then tech, in turn
 * ```
 */
export function outOfFoldProbabilities(
  docs: readonly BaselineDoc[],
  plain: Baseline,
  folds = 5,
): Float32Array[] | undefined {
  if (docs.length < 2 * folds) return undefined;
  const y = labelIndices(docs, plain.labels, "cross-validate the baseline");
  const foldOf = stratifiedFolds(y, folds);
  const probs: Float32Array[] = new Array(docs.length);
  for (let f = 0; f < folds; f++) {
    const { held, train } = foldSplit(foldOf, f);
    const model = trainBaseline(train.map((i) => docs[i]), {
      labels: plain.labels,
      grid: [plain.C],
      tfidf: plain.vectorizer.options,
      balanced: plain.balanced,
    });
    const answers = model.predictProba(held.map((i) => docs[i].text));
    held.forEach((i, j) => probs[i] = Float32Array.from(answers[j]));
  }
  return probs;
}
