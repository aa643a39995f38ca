/**
 * A bag-of-words baseline for any fitlam task: TF-IDF of word 1- and 2-grams
 * ({@linkcode TfidfVectorizer}) and multinomial logistic regression
 * ({@linkcode fitLogReg}), the same model as scikit-learn's
 * `TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)` +
 * `LogisticRegression(C)`. C comes from a grid: a seeded 10% of the training
 * rows is held out, the model is fitted on the rest for each C, the best
 * held-out accuracy wins (ties: the smaller C), and the winner is refitted on
 * all training rows. `tools/sklearn_baseline.py` is the scikit-learn twin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluateBaseline } from "./mod.ts";
 * const docs = (label: string, word: string) =>
 *   Array.from({ length: 20 }, (_, i) => ({ text: `${word} item${i % 5} here`, label }));
 * const train = [...docs("pos", "great"), ...docs("neg", "awful")];
 * const test = [{ text: "great stuff", label: "pos" }, { text: "awful stuff", label: "neg" }];
 * const r = evaluateBaseline(train, test, ["neg", "pos"]);
 * assert.equal(r.accuracy, 1);
 * assert.deepEqual(r.confusion, [[1, 0], [0, 1]]);
 * ```
 *
 * @module
 */

export {
  charWbNgrams,
  type SparseRow,
  type TfidfOptions,
  TfidfVectorizer,
  tokenize,
  wordNgrams,
} from "./tfidf.ts";
export { argmax, fitLogReg, type LogRegFit, type LogRegModel, predictProba } from "./logreg.ts";
export { lbfgs, type LbfgsOptions, type LbfgsResult } from "./lbfgs.ts";
export * from "./train.ts";
export {
  type BaselineResult,
  type BaselineRow,
  baselineRow,
  evaluateBaseline,
} from "./evaluate.ts";
