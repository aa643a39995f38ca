/**
 * Latent semantic analysis of TF-IDF rows: each document's coordinates along the top singular
 * directions of the document-term matrix of a task's text, labelled and unlabelled. With a
 * hundred labels a TF-IDF model has weights only for the n-grams those documents hold; two
 * reviews that share no word but whose words keep the same company in the unlabelled text land
 * close together in LSA coordinates, so the labels teach the model about words it never saw
 * labelled. The SVD is randomized (Halko, Martinsson & Tropp 2011, the algorithm of
 * scikit-learn's `TruncatedSVD`): a Gaussian sketch, power iterations, and the exact SVD of the
 * small projected matrix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitLsa, lsaCoordinates } from "./lsa.ts";
 * import { TfidfVectorizer } from "./tfidf.ts";
 * const texts = ["goal match", "goal league", "league match", "chip code", "chip cpu", "cpu code"];
 * const v = TfidfVectorizer.fit(texts, { ngramMax: 1 });
 * const lsa = fitLsa(v.transform(texts), v.idf, { dims: 2 });
 * const at = (t: string) => lsaCoordinates(lsa, v.transformOne(t));
 * const cos = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
 * // "goal" and "league" never meet in one document of the question, yet sit together.
 * assert.ok(cos(at("goal"), at("league")) > 0.9);
 * assert.ok(Math.abs(cos(at("goal"), at("cpu"))) < 0.1);
 * ```
 *
 * @module
 */
import { Rng } from "../rng.ts";
import { f16ArrayToF32, f32ArrayToF16 } from "../weights/half.ts";
import type { SparseRow } from "./tfidf.ts";

/** Options of {@linkcode fitLsa}; every field has a default. */
export interface LsaOptions {
  /** Coordinates per document. Default 100. */
  dims?: number;
  /** Input features the SVD reads: those in the most documents (lowest idf). Default 30,000. */
  maxFeatures?: number;
  /** Extra sketch columns beyond `dims`. Default 10. */
  oversample?: number;
  /** Power iterations (each sharpens the sketch toward the top directions). Default 4. */
  powerIters?: number;
  /** Seed of the Gaussian sketch. Default 0. */
  seed?: number;
}

/** A fitted projection from TF-IDF rows to LSA coordinates. */
export interface Lsa {
  /** The TF-IDF feature each LSA input feature reads, ascending. */
  columns: Int32Array;
  /**
   * `columns.length` × `dims`, row-major: the coordinates of each input feature (values that
   * half precision holds exactly: saved as F16).
   */
  components: Float32Array;
  dims: number;
}

/**
 * The top `rank` singular values of the sparse matrix whose rows are `rows` (`features` wide),
 * and the right singular vectors as `features` × `rank`, row-major.
 */
export function truncatedSvd(
  rows: readonly SparseRow[],
  features: number,
  rank: number,
  { oversample = 10, powerIters = 4, seed = 0 }: Omit<LsaOptions, "dims" | "maxFeatures"> = {},
): { singularValues: Float64Array; vectors: Float64Array } {
  const l = Math.min(rank + oversample, rows.length, features);
  if (!(rank >= 1 && rank <= l)) {
    throw new Error(
      `Cannot compute the SVD: rank ${rank} of a ${rows.length} × ${features} matrix; ask for ` +
        `at most ${Math.min(rows.length, features)} dimensions`,
    );
  }
  const rng = new Rng(seed);
  let z: Float64Array = Float64Array.from({ length: features * l }, () => rng.normal());
  let q: Float64Array = orthonormalColumns(times(rows, z, l), l);
  // Subspace iteration on A·Aᵀ: one orthonormalization a step, on the document side (the
  // feature side is the longer one here, and A·Aᵀ grows the columns apart by (σ1 / σl)² at most).
  for (let i = 0; i < powerIters; i++) {
    q = orthonormalColumns(times(rows, transposeTimes(rows, q, features, l), l), l);
  }
  // B = Qᵀ A is l × features; its transpose is z. B Bᵀ = zᵀ z = W Λ Wᵀ gives B's right singular
  // vectors z W Λ^(-1/2).
  z = transposeTimes(rows, q, features, l);
  const { values, vectors: w } = symmetricEigen(gram(z, l), l);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]).slice(0, rank);
  const singularValues = Float64Array.from(order, (k) => Math.sqrt(Math.max(values[k], 0)));
  const vectors = new Float64Array(features * rank);
  order.forEach((k, r) => {
    const s = singularValues[r];
    if (s === 0) return;
    for (let j = 0; j < features; j++) {
      let dot = 0;
      for (let c = 0; c < l; c++) dot += z[j * l + c] * w[c * l + k];
      vectors[j * rank + r] = dot / s;
    }
  });
  return { singularValues, vectors };
}

/** A·X for sparse rows A (n × d) and X (d × l, row-major): n × l, row-major. */
function times(rows: readonly SparseRow[], x: Float64Array, l: number): Float64Array {
  const y = new Float64Array(rows.length * l);
  rows.forEach(({ indices, values }, i) => {
    for (let t = 0; t < indices.length; t++) {
      const v = values[t], from = indices[t] * l, to = i * l;
      for (let c = 0; c < l; c++) y[to + c] += v * x[from + c];
    }
  });
  return y;
}

/** Aᵀ·Y for sparse rows A (n × d) and Y (n × l, row-major): d × l, row-major. */
function transposeTimes(
  rows: readonly SparseRow[],
  y: Float64Array,
  d: number,
  l: number,
): Float64Array {
  const z = new Float64Array(d * l);
  rows.forEach(({ indices, values }, i) => {
    for (let t = 0; t < indices.length; t++) {
      const v = values[t], to = indices[t] * l, from = i * l;
      for (let c = 0; c < l; c++) z[to + c] += v * y[from + c];
    }
  });
  return z;
}

/**
 * The columns of `m` (row-major, `l` columns) made orthonormal by modified Gram-Schmidt, twice
 * for accuracy; a column that depends on the earlier ones becomes zero.
 */
function orthonormalColumns(m: Float64Array, l: number): Float64Array {
  const n = m.length / l;
  const cols = Array.from(
    { length: l },
    (_, c) => Float64Array.from({ length: n }, (_, i) => m[i * l + c]),
  );
  for (let pass = 0; pass < 2; pass++) {
    cols.forEach((col, c) => {
      const before = Math.sqrt(dot(col, col));
      for (let p = 0; p < c; p++) {
        const k = dot(col, cols[p]);
        for (let i = 0; i < n; i++) col[i] -= k * cols[p][i];
      }
      const norm = Math.sqrt(dot(col, col));
      // What is left after removing the earlier columns is rounding: zero it.
      const inv = norm > 1e-10 * Math.max(before, 1e-300) ? 1 / norm : 0;
      for (let i = 0; i < n; i++) col[i] *= inv;
    });
  }
  const out = new Float64Array(n * l);
  cols.forEach((col, c) => col.forEach((v, i) => out[i * l + c] = v));
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Zᵀ Z for Z (rows × l, row-major): l × l. */
function gram(z: Float64Array, l: number): Float64Array {
  const g = new Float64Array(l * l);
  for (let j = 0; j < z.length / l; j++) {
    const r = j * l;
    for (let a = 0; a < l; a++) {
      const za = z[r + a];
      if (za === 0) continue;
      for (let b = a; b < l; b++) g[a * l + b] += za * z[r + b];
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) g[a * l + b] = g[b * l + a];
  return g;
}

/**
 * Eigenvalues and eigenvectors (columns of `vectors`, l × l row-major) of the symmetric `a` by
 * cyclic Jacobi rotations, until the off-diagonal part is rounding.
 */
export function symmetricEigen(
  a: Float64Array,
  l: number,
): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a), v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  const total = Math.sqrt(dot(m, m));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += m[p * l + q] ** 2;
    if (Math.sqrt(2 * off) <= 1e-14 * total) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = m[p * l + q];
        if (apq === 0) continue;
        const theta = (m[q * l + q] - m[p * l + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < l; k++) { // columns p, q of m
          const mkp = m[k * l + p], mkq = m[k * l + q];
          m[k * l + p] = c * mkp - s * mkq;
          m[k * l + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < l; k++) { // rows p, q of m
          const mpk = m[p * l + k], mqk = m[q * l + k];
          m[p * l + k] = c * mpk - s * mqk;
          m[q * l + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p], vkq = v[k * l + q];
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: l }, (_, i) => m[i * l + i]), vectors: v };
}

/**
 * Fits LSA on TF-IDF `rows` (of a vectorizer with `idf`): the SVD reads the `maxFeatures`
 * features in the most documents, each row cut to them and scaled back to unit length.
 */
export function fitLsa(
  rows: readonly SparseRow[],
  idf: ArrayLike<number>,
  options: LsaOptions = {},
): Lsa {
  const { dims: asked = 100, maxFeatures = 30_000, ...svd } = options;
  const columns = Int32Array.from(
    [...Array(idf.length).keys()].sort((a, b) => idf[a] - idf[b] || a - b).slice(0, maxFeatures),
  ).sort();
  const cut = rows.map((r) => restrict({ columns }, r));
  const dims = Math.min(asked, rows.length, columns.length);
  const { vectors } = truncatedSvd(cut, columns.length, dims, svd);
  // Kept at half precision, as saved: the trainer scores with the values a loader will read.
  return { columns, components: f16ArrayToF32(f32ArrayToF16(Float32Array.from(vectors))), dims };
}

const positions = new WeakMap<Int32Array, Map<number, number>>();

/** `row` on the LSA's input features, at unit length. */
function restrict(lsa: Pick<Lsa, "columns">, row: SparseRow): SparseRow {
  let at = positions.get(lsa.columns);
  if (!at) positions.set(lsa.columns, at = new Map([...lsa.columns].map((f, i) => [f, i])));
  const indices: number[] = [], values: number[] = [];
  let norm = 0;
  row.indices.forEach((f, t) => {
    const i = at.get(f);
    if (i === undefined) return;
    indices.push(i), values.push(row.values[t]), norm += row.values[t] ** 2;
  });
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return { indices: Int32Array.from(indices), values: Float64Array.from(values, (v) => v * inv) };
}

/** A TF-IDF row's LSA coordinates, scaled to unit length (zero for a row with no LSA feature). */
export function lsaCoordinates(lsa: Lsa, row: SparseRow): Float64Array {
  const { indices, values } = restrict(lsa, row), out = new Float64Array(lsa.dims);
  for (let t = 0; t < indices.length; t++) {
    const from = indices[t] * lsa.dims;
    for (let k = 0; k < lsa.dims; k++) out[k] += values[t] * lsa.components[from + k];
  }
  const norm = Math.sqrt(dot(out, out));
  if (norm > 0) { for (let k = 0; k < lsa.dims; k++) out[k] /= norm; }
  return out;
}

/**
 * `row` (of `features` TF-IDF features) followed by its LSA coordinates as features
 * `features` … `features + dims − 1`: the rows the bag-of-words model reads when it has LSA.
 */
export function withLsa(lsa: Lsa, row: SparseRow, features: number): SparseRow {
  const coords = lsaCoordinates(lsa, row), n = row.indices.length;
  const indices = new Int32Array(n + lsa.dims), values = new Float64Array(n + lsa.dims);
  indices.set(row.indices), values.set(row.values);
  for (let k = 0; k < lsa.dims; k++) (indices[n + k] = features + k, values[n + k] = coords[k]);
  return { indices, values };
}
