/**
 * Multinomial logistic regression with an L2 penalty on sparse rows,
 * minimising scikit-learn's objective `C · Σᵢ logloss(xᵢ, yᵢ) + ½‖W‖²`
 * (intercepts not penalised; a softmax over all K classes, also for K = 2,
 * as scikit-learn's multinomial `lbfgs` does) with {@linkcode lbfgs}.
 *
 * The optimiser sees the objective divided by C, `Σᵢ logloss + ‖W‖² / (2C)`,
 * the scale scikit-learn 1.2 hands to SciPy, so its `tol` means the same.
 *
 * @module
 */

import { lbfgs, type LbfgsOptions, type Objective } from "./lbfgs.ts";
import type { SparseRow } from "./tfidf.ts";

export { argmax } from "../confusion.ts";

/**
 * Weights of a fitted model: `weights[j * classes + k]` is feature j's
 * weight for class k (feature-major, so a sparse row reads one block per
 * feature), `bias[k]` the intercept of class k. Fitted in double precision; a
 * saved model is read back in single (as stored, with no widened copy).
 */
export interface LogRegModel<A extends Float64Array | Float32Array = Float64Array> {
  classes: number;
  features: number;
  weights: A;
  bias: A;
}

/** Options of {@linkcode fitLogReg}. */
export interface LogRegOptions extends LbfgsOptions {
  /** Number of classes K (labels are 0..K−1). */
  classes: number;
  /** Number of features (row indices are below it). */
  features: number;
  /** Inverse penalty strength. Default 1. */
  C?: number;
  /** Start from this model's weights (a warm start); default all zero. */
  init?: LogRegModel;
  /**
   * Each row's weight in the loss (scikit-learn's `sample_weight`): a row of weight 2 counts as
   * two copies of it. Default: 1 for every row.
   */
  sampleWeights?: Float64Array;
}

/** A fitted model and how the optimiser got there. */
export interface LogRegFit extends LogRegModel {
  C: number;
  /** The objective `Σ logloss + ‖W‖² / (2C)` at the solution. */
  objective: number;
  /** max |gradient| of that objective at the solution. */
  gradMax: number;
  iterations: number;
  evaluations: number;
  stop: "gtol" | "ftol" | "maxIter" | "lineSearch";
}

/**
 * An orthonormal basis of the vectors of R^K whose entries sum to zero: K − 1
 * Helmert rows, row-major (`basis[m * K + k]`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sumZeroBasis } from "./logreg.ts";
 * const b = sumZeroBasis(2);
 * assert.ok(Math.abs(b[0] - Math.SQRT1_2) < 1e-15 && Math.abs(b[1] + Math.SQRT1_2) < 1e-15);
 * ```
 */
export function sumZeroBasis(K: number): Float64Array {
  const B = new Float64Array((K - 1) * K);
  for (let m = 0; m < K - 1; m++) {
    const scale = 1 / Math.sqrt((m + 1) * (m + 2));
    for (let k = 0; k <= m; k++) B[m * K + k] = scale;
    B[m * K + m + 1] = -(m + 1) * scale;
  }
  return B;
}

/**
 * The objective `Σᵢ [logsumexp(zᵢ) − zᵢ,yᵢ] + ‖W‖² / (2C)`, `zᵢ = xᵢW + b`,
 * in reduced coordinates: `W = V B` and `b = c B` with B = {@linkcode sumZeroBasis}(K),
 * over parameters `[V (features × (K − 1)), c (K − 1)]`. It writes the gradient
 * `Xᵀ(P − Y)Bᵀ + V / C` (and `Σᵢ (pᵢ − yᵢ)Bᵀ` for c). With `sampleWeights` each row's
 * loss and residual are scaled by its weight.
 *
 * The reduction is exact: subtracting a feature's mean weight over the classes
 * leaves every probability unchanged and lowers the penalty, so the optimum's
 * rows of W sum to zero, and B's rows are orthonormal, so ‖V‖ = ‖W‖. For the
 * unpenalised intercepts it picks the solution whose entries sum to zero, the
 * one scikit-learn's lbfgs reaches from zero. One column fewer: half the work for K = 2.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxObjective } from "./logreg.ts";
 * const rows = [{ indices: Int32Array.of(0), values: Float64Array.of(1) }];
 * const f = softmaxObjective(rows, Int32Array.of(1), 2, 1, 1);
 * const grad = new Float64Array(2);
 * assert.equal(f(new Float64Array(2), grad), Math.log(2)); // two equal logits
 * // p − y = (0.5, −0.5); times Bᵀ = (1/√2, −1/√2)ᵀ: 1/√2 for the weight and the intercept
 * assert.ok(grad.every((v) => Math.abs(v - Math.SQRT1_2) < 1e-15));
 * ```
 */
export function softmaxObjective(
  rows: readonly SparseRow[],
  y: Int32Array,
  classes: number,
  features: number,
  C: number,
  sampleWeights?: Float64Array,
): Objective {
  const K = classes, M = classes - 1, D = features * M;
  const B = sumZeroBasis(K);
  const u = new Float64Array(M), z = new Float64Array(K);
  return (x, g) => {
    let penalty = 0;
    for (let i = 0; i < D; i++) {
      const w = x[i];
      penalty += w * w;
      g[i] = w / C;
    }
    let f = penalty / (2 * C);
    for (let m = 0; m < M; m++) g[D + m] = 0;
    for (let r = 0; r < rows.length; r++) {
      const { indices, values } = rows[r];
      if (M === 1) u[0] = x[D] + sparseDot(indices, values, x);
      else sparseDotBlock(indices, values, x, D, M, u);
      for (let k = 0; k < K; k++) {
        let zk = 0;
        for (let m = 0; m < M; m++) zk += u[m] * B[m * K + k];
        z[k] = zk;
      }
      const weight = sampleWeights ? sampleWeights[r] : 1;
      f += weight * softmaxResidual(z, y[r]);
      for (let m = 0; m < M; m++) {
        let um = 0;
        for (let k = 0; k < K; k++) um += B[m * K + k] * z[k];
        um *= weight;
        u[m] = um;
        g[D + m] += um;
      }
      if (M === 1) sparseAxpy(indices, values, u[0], g);
      else sparseAxpyBlock(indices, values, u, M, g);
    }
    return f;
  };
}

/** Log-loss of logits `z` for class `y`; `z` becomes the residual softmax(z) − onehot(y). */
function softmaxResidual(z: Float64Array, y: number): number {
  const K = z.length;
  let m = -Infinity;
  for (let k = 0; k < K; k++) if (z[k] > m) m = z[k];
  const target = z[y];
  let sum = 0;
  for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k] - m);
  for (let k = 0; k < K; k++) z[k] /= sum;
  z[y] -= 1;
  return Math.log(sum) + m - target;
}

function sparseDot(indices: Int32Array, values: Float64Array, x: Float64Array): number {
  let a = 0;
  for (let t = 0; t < indices.length; t++) a += values[t] * x[indices[t]];
  return a;
}

function sparseAxpy(indices: Int32Array, values: Float64Array, a: number, g: Float64Array): void {
  for (let t = 0; t < indices.length; t++) g[indices[t]] += a * values[t];
}

/** out = bias + Σ values[t] · x[indices[t] * M .. + M] (bias at x[D..D + M]). */
function sparseDotBlock(
  indices: Int32Array,
  values: Float64Array,
  x: Float64Array,
  D: number,
  M: number,
  out: Float64Array,
): void {
  for (let m = 0; m < M; m++) out[m] = x[D + m];
  for (let t = 0; t < indices.length; t++) {
    const base = indices[t] * M, v = values[t];
    for (let m = 0; m < M; m++) out[m] += v * x[base + m];
  }
}

function sparseAxpyBlock(
  indices: Int32Array,
  values: Float64Array,
  a: Float64Array,
  M: number,
  g: Float64Array,
): void {
  for (let t = 0; t < indices.length; t++) {
    const base = indices[t] * M, v = values[t];
    for (let m = 0; m < M; m++) g[base + m] += v * a[m];
  }
}

function checkFitInputs(rows: readonly SparseRow[], y: Int32Array, o: LogRegOptions): void {
  const fail = (why: string) => {
    throw new Error(`Cannot fit logistic regression: ${why}`);
  };
  if (rows.length === 0) fail("no training rows; pass at least one labelled document");
  if (y.length !== rows.length) fail(`${rows.length} rows but ${y.length} labels; pass one each`);
  if (!Number.isInteger(o.classes) || o.classes < 2) {
    fail(`classes is ${o.classes}; a classifier needs at least 2`);
  }
  if (!(o.C === undefined || o.C > 0)) fail(`C is ${o.C}; use a positive number, e.g. 1`);
  const w = o.sampleWeights;
  if (w && (w.length !== rows.length || !w.every((v) => v >= 0 && v < Infinity))) {
    fail(`sampleWeights must be ${rows.length} finite numbers ≥ 0, one a row`);
  }
  for (let i = 0; i < y.length; i++) {
    if (!(y[i] >= 0 && y[i] < o.classes)) {
      fail(`label ${y[i]} of row ${i} is not in 0..${o.classes - 1}`);
    }
  }
  for (const row of rows) {
    for (const j of row.indices) {
      if (!(j >= 0 && j < o.features)) fail(`feature ${j} is not in 0..${o.features - 1}`);
    }
  }
  const init = o.init;
  if (init && (init.classes !== o.classes || init.features !== o.features)) {
    fail(
      `the warm start has ${init.features} features × ${init.classes} classes, not ` +
        `${o.features} × ${o.classes}; start from a model of the same shape`,
    );
  }
}

/**
 * Fits the model to rows `rows` with labels `y` (class indices).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitLogReg, predictProba } from "./logreg.ts";
 * const row = (j: number) => ({ indices: Int32Array.of(j), values: Float64Array.of(1) });
 * const model = fitLogReg([row(0), row(1), row(0), row(1)], Int32Array.of(0, 1, 0, 1), {
 *   classes: 2,
 *   features: 2,
 *   C: 10,
 * });
 * assert.equal(model.stop, "gtol");
 * assert.ok(predictProba(model, row(1))[1] > 0.9);
 * ```
 */
export function fitLogReg(
  rows: readonly SparseRow[],
  y: Int32Array,
  options: LogRegOptions,
): LogRegFit {
  checkFitInputs(rows, y, options);
  const { classes: K, features, C = 1 } = options;
  const M = K - 1, B = sumZeroBasis(K);
  const x = new Float64Array(features * M + M);
  // Warm start: V = W Bᵀ, c = b Bᵀ (the projection onto rows that sum to zero).
  const init = options.init;
  if (init) {
    for (let j = 0; j <= features; j++) {
      const from = j < features ? init.weights : init.bias, at = j < features ? j * K : 0;
      for (let m = 0; m < M; m++) {
        let v = 0;
        for (let k = 0; k < K; k++) v += from[at + k] * B[m * K + k];
        x[j * M + m] = v;
      }
    }
  }
  const objective = softmaxObjective(rows, y, K, features, C, options.sampleWeights);
  const r = lbfgs(objective, x, options);
  // Back to all K classes: W = V B, b = c B.
  const full = new Float64Array((features + 1) * K);
  for (let j = 0; j <= features; j++) {
    for (let k = 0; k < K; k++) {
      let w = 0;
      for (let m = 0; m < M; m++) w += x[j * M + m] * B[m * K + k];
      full[j * K + k] = w;
    }
  }
  return {
    classes: K,
    features,
    weights: full.slice(0, features * K),
    bias: full.slice(features * K),
    C,
    objective: r.f,
    gradMax: r.gradMax,
    iterations: r.iterations,
    evaluations: r.evaluations,
    stop: r.stop,
  };
}

/**
 * Class probabilities of one row (a softmax over the K logits).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { predictProba } from "./logreg.ts";
 * const model = {
 *   classes: 2,
 *   features: 1,
 *   weights: Float64Array.of(0, Math.log(3)),
 *   bias: Float64Array.of(0, 0),
 * };
 * const p = predictProba(model, { indices: Int32Array.of(0), values: Float64Array.of(1) });
 * assert.ok(Math.abs(p[1] - 0.75) < 1e-12);
 * ```
 */
export function predictProba(
  model: LogRegModel<Float64Array | Float32Array>,
  row: SparseRow,
): Float64Array {
  const K = model.classes, w = model.weights;
  const z = Float64Array.from(model.bias);
  for (let t = 0; t < row.indices.length; t++) {
    const base = row.indices[t] * K, v = row.values[t];
    for (let k = 0; k < K; k++) z[k] += v * w[base + k];
  }
  let m = -Infinity, sum = 0;
  for (let k = 0; k < K; k++) if (z[k] > m) m = z[k];
  for (let k = 0; k < K; k++) sum += z[k] = Math.exp(z[k] - m);
  for (let k = 0; k < K; k++) z[k] /= sum;
  return z;
}
