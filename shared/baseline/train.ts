/**
 * Training the bag-of-words baseline: the C grid on a held-out tenth, the refit on every
 * training row ({@linkcode trainBaseline}), and a trained model as a {@linkcode Baseline}.
 *
 * @module
 */

import { Rng } from "../rng.ts";
import { argmax, fitLogReg, type LogRegFit, predictProba } from "./logreg.ts";
import { type Lsa, withLsa } from "./lsa.ts";
import { type SparseRow, type TfidfOptions, TfidfVectorizer } from "./tfidf.ts";

/** A labelled document (the shape of the trainer's `LabeledDoc`). */
export interface BaselineDoc {
  text: string;
  label: string;
}

/** Options of {@linkcode trainBaseline}; every field has a default. */
export interface BaselineOptions {
  /** Class names; a class index is a position here. Default: the training labels, sorted. */
  labels?: readonly string[];
  /** Candidate C values. Default 0.1, 1, 10, 100; with one value there is no selection. */
  grid?: readonly number[];
  /** Share of the training rows held out to choose C. Default 0.1. */
  validFraction?: number;
  /** Seed of the held-out rows. Default 42. */
  seed?: number;
  /** L-BFGS iteration cap per fit. Default 1000. */
  maxIter?: number;
  /** L-BFGS gradient tolerance (scikit-learn's `tol`). Default 1e-4. */
  tol?: number;
  /** How texts become TF-IDF rows. Default: word 1- and 2-grams (`TfidfVectorizer`'s defaults). */
  tfidf?: TfidfOptions;
  /**
   * Weigh each document n / (labels × its label's count) in the loss, so every label weighs alike
   * however rare ({@linkcode labelBalancedWeights}). Default false.
   */
  balanced?: boolean;
  /**
   * Most weights the logistic regression may have (features × (classes − 1)); a larger
   * vocabulary keeps its n-grams found in the most documents (`Baseline.vocabulary` says how
   * many). Default 8,000,000: L-BFGS holds ~25 vectors of that length (~1 GB).
   */
  maxWeights?: number;
  /** Progress lines (one per fit); default: silent. */
  log?: (line: string) => void;
}

/** Held-out accuracy of one C of the grid. */
export interface GridPoint {
  C: number;
  accuracy: number;
  iterations: number;
}

/** A trained baseline. */
export interface Baseline {
  /** The chosen C. */
  C: number;
  /** Class names, in the order of `predictProba`'s entries. */
  labels: string[];
  /** Features of the final model: the vocabulary, plus the LSA coordinates where it has them. */
  features: number;
  /** The n-grams of the training text and those kept (fewer only beyond `maxWeights`). */
  vocabulary: { total: number; kept: number };
  /** Wall-clock seconds of training (C selection and refit). */
  seconds: number;
  /** Held-out accuracy per C (empty when the grid has one value). */
  grid: GridPoint[];
  /** The final fit (weights and optimiser statistics). */
  model: LogRegFit;
  /** The final vectorizer. */
  vectorizer: TfidfVectorizer;
  /** Whether its labels were weighed alike (`BaselineOptions.balanced`). */
  balanced: boolean;
  /** LSA coordinates appended to each TF-IDF row (features `vectorizer.size` on), if any. */
  lsa?: Lsa;
  /** Class probabilities per text. */
  predictProba(texts: readonly string[]): Float32Array[];
  /** Most probable class index per text. */
  predict(texts: readonly string[]): number[];
}

/**
 * Each document's weight n / (labels × its label's count), over the labels present (scikit-learn's
 * `class_weight="balanced"`): each label's documents weigh n / labels together.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { labelBalancedWeights } from "./train.ts";
 * // Three of label 0, one of label 1, none of label 2: 4 / (2 × 3) and 4 / (2 × 1).
 * assert.deepEqual([...labelBalancedWeights([0, 0, 0, 1], 3)], [2 / 3, 2 / 3, 2 / 3, 2]);
 * ```
 */
export function labelBalancedWeights(y: ArrayLike<number>, labels: number): Float64Array {
  const counts = new Array<number>(labels).fill(0);
  for (let i = 0; i < y.length; i++) counts[y[i]]++;
  const present = counts.filter((n) => n > 0).length;
  return Float64Array.from({ length: y.length }, (_, i) => y.length / (present * counts[y[i]]));
}

/** The default C grid. */
export const DEFAULT_GRID: readonly number[] = [0.1, 1, 10, 100];

/**
 * The held-out mask of the C selection: `round(fraction · n)` rows (at least
 * one, at most n − 1) drawn by shuffling the row indices with `Rng(seed)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldOutMask } from "./mod.ts";
 * const mask = heldOutMask(50, 0.1, 42);
 * assert.equal(mask.reduce((a, b) => a + b, 0), 5);
 * assert.deepEqual(mask, heldOutMask(50, 0.1, 42));
 * ```
 */
export function heldOutMask(n: number, fraction: number, seed: number): Uint8Array {
  if (!(fraction > 0 && fraction < 1) || n < 2) {
    throw new Error(
      `Cannot hold out rows to choose C: ${n} row(s) and fraction ${fraction}; ` +
        "use at least 2 rows and a fraction between 0 and 1, e.g. 0.1",
    );
  }
  const count = Math.min(Math.max(Math.round(n * fraction), 1), n - 1);
  const order = new Rng(seed).shuffle([...Array(n).keys()]);
  const mask = new Uint8Array(n);
  for (let i = 0; i < count; i++) mask[order[i]] = 1;
  return mask;
}

/** Class indices of `docs` in `labels`; an unknown label throws, naming `what` failed. */
export function labelIndices(
  docs: readonly BaselineDoc[],
  labels: readonly string[],
  what: string,
): Int32Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  return Int32Array.from(docs, (d) => {
    const k = index.get(d.label);
    if (k === undefined) {
      throw new Error(
        `Cannot ${what}: label ${JSON.stringify(d.label)} is not among the labels ` +
          `${JSON.stringify(labels)}; pass the task's full label list`,
      );
    }
    return k;
  });
}

/** The default bound on the logistic regression's weights. */
export const DEFAULT_MAX_WEIGHTS = 8_000_000;

/** Most n-grams a model of K classes may keep within `maxWeights`. */
export function maxFeatures(maxWeights: number, K: number): number {
  return Math.max(1, Math.floor(maxWeights / Math.max(1, K - 1)));
}

/** The options {@linkcode chooseC} uses, defaults filled in. */
type Settings = Required<Omit<BaselineOptions, "labels" | "grid" | "log">> & {
  log?: (line: string) => void;
};

/** A vectorizer fitted on `docs` (at most `maxFeatures` n-grams) and their rows. */
function vectorize(docs: readonly BaselineDoc[], tfidf: TfidfOptions, maxFeatures: number) {
  const texts = docs.map((d) => d.text);
  const vectorizer = TfidfVectorizer.fit(texts, tfidf, maxFeatures);
  return { vectorizer, rows: vectorizer.transform(texts) };
}

function accuracyOf(model: LogRegFit, rows: readonly SparseRow[], y: Int32Array): number {
  let right = 0;
  rows.forEach((r, i) => right += argmax(predictProba(model, r)) === y[i] ? 1 : 0);
  return right / rows.length;
}

/** Fits each C on the non-held-out rows (ascending, each warm-started from the last). */
function chooseC(
  train: readonly BaselineDoc[],
  y: Int32Array,
  K: number,
  grid: readonly number[],
  o: Settings,
): GridPoint[] {
  const mask = heldOutMask(train.length, o.validFraction, o.seed);
  const pick = (keep: number) => train.filter((_, i) => mask[i] === keep);
  const fit = vectorize(pick(0), o.tfidf, maxFeatures(o.maxWeights, K));
  const yFit = y.filter((_, i) => mask[i] === 0);
  const valid = fit.vectorizer.transform(pick(1).map((d) => d.text));
  const yValid = y.filter((_, i) => mask[i] === 1);
  const points: GridPoint[] = [];
  let last: LogRegFit | undefined;
  for (const C of [...grid].sort((a, b) => a - b)) {
    last = fitLogReg(fit.rows, yFit, {
      ...(o.balanced ? { sampleWeights: labelBalancedWeights(yFit, K) } : {}),
      classes: K,
      features: fit.vectorizer.size,
      C,
      maxIter: o.maxIter,
      gtol: o.tol,
      init: last,
    });
    const accuracy = accuracyOf(last, valid, yValid);
    points.push({ C, accuracy, iterations: last.iterations });
    o.log?.(
      `tfidf-lr: C ${C}: held-out accuracy ${(accuracy * 100).toFixed(2)}% ` +
        `(${fit.rows.length} fit / ${valid.length} held out, ${last.iterations} iterations)`,
    );
  }
  return points;
}

/**
 * Trains the baseline on labelled documents.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBaseline } from "./mod.ts";
 * const train = ["good fun", "good film", "bad film", "bad plot"].map((text) => ({
 *   text,
 *   label: text.startsWith("good") ? "pos" : "neg",
 * }));
 * const b = trainBaseline(train, { grid: [10] });
 * assert.deepEqual(b.labels, ["neg", "pos"]);
 * assert.equal(b.predict(["a good plot"])[0], 1);
 * ```
 */
export function trainBaseline(
  train: readonly BaselineDoc[],
  options: BaselineOptions = {},
): Baseline {
  const start = performance.now();
  const labels = [...(options.labels ?? [...new Set(train.map((d) => d.label))].sort())];
  const grid = options.grid ?? DEFAULT_GRID;
  const o: Settings = {
    validFraction: options.validFraction ?? 0.1,
    seed: options.seed ?? 42,
    maxIter: options.maxIter ?? 1000,
    tol: options.tol ?? 1e-4,
    tfidf: options.tfidf ?? {},
    balanced: options.balanced ?? false,
    maxWeights: options.maxWeights ?? DEFAULT_MAX_WEIGHTS,
    log: options.log,
  };
  if (grid.length === 0 || grid.some((C) => !(C > 0 && C < Infinity))) {
    throw new Error(
      `Cannot train the baseline: C grid ${JSON.stringify(grid)} is not a list of positive ` +
        "numbers; use e.g. [0.1, 1, 10, 100]",
    );
  }
  if (labels.length < 2) {
    throw new Error(
      `Cannot train the baseline: ${labels.length} class(es) ${JSON.stringify(labels)}; ` +
        "a classifier needs at least 2",
    );
  }
  const y = labelIndices(train, labels, "train the baseline");
  const points = grid.length > 1 ? chooseC(train, y, labels.length, grid, o) : [];
  // Best held-out accuracy; points ascend in C, so the first best is the smallest C.
  const C = points.length
    ? points.reduce((best, p) => p.accuracy > best.accuracy ? p : best).C
    : grid[0];
  const fit = vectorize(train, o.tfidf, maxFeatures(o.maxWeights, labels.length));
  const features = fit.vectorizer.size;
  const vocabulary = { total: fit.vectorizer.fittedTerms, kept: features };
  const { maxIter, tol: gtol } = o;
  const model = fitLogReg(fit.rows, y, {
    ...(o.balanced ? { sampleWeights: labelBalancedWeights(y, labels.length) } : {}),
    classes: labels.length,
    features,
    C,
    maxIter,
    gtol,
  });
  o.log?.(
    `tfidf-lr: C ${C} on ${train.length} documents, ${features} features: ` +
      `${model.iterations} iterations (${model.stop})`,
  );
  return baselineOf(fit.vectorizer, model, labels, {
    balanced: o.balanced,
    vocabulary,
    seconds: (performance.now() - start) / 1000,
    grid: points,
  });
}

/**
 * A {@linkcode Baseline} from a fitted vectorizer and model (its C is the model's), which reads
 * each TF-IDF row with its `lsa` coordinates appended when given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { baselineOf, fitLogReg, TfidfVectorizer } from "./mod.ts";
 * const v = TfidfVectorizer.fit(["good", "bad"], { ngramMax: 1 });
 * const model = fitLogReg(v.transform(["good", "bad"]), Int32Array.of(1, 0), {
 *   classes: 2,
 *   features: v.size,
 *   C: 10,
 * });
 * const b = baselineOf(v, model, ["neg", "pos"], {
 *   vocabulary: { total: 2, kept: 2 },
 *   seconds: 0,
 *   grid: [],
 * });
 * assert.deepEqual(b.predict(["so good"]), [1]);
 * ```
 */
export function baselineOf(
  vectorizer: TfidfVectorizer,
  model: LogRegFit,
  labels: readonly string[],
  about: Pick<Baseline, "vocabulary" | "seconds" | "grid"> & { balanced?: boolean },
  lsa?: Lsa,
): Baseline {
  const row = (t: string) => {
    const r = vectorizer.transformOne(t);
    return lsa ? withLsa(lsa, r, vectorizer.size) : r;
  };
  const proba = (texts: readonly string[]) => texts.map((t) => predictProba(model, row(t)));
  return {
    C: model.C,
    labels: [...labels],
    features: vectorizer.size + (lsa?.dims ?? 0),
    ...about,
    balanced: about.balanced ?? false,
    model,
    vectorizer,
    ...(lsa ? { lsa } : {}),
    predictProba: (texts) => proba(texts).map((p) => Float32Array.from(p)),
    predict: (texts) => proba(texts).map(argmax),
  };
}
