/**
 * The bag-of-words model a classifier folder may carry beside its LSTM
 * classifiers (`OUT/baseline/`): the TF-IDF vocabulary (a `terms` tensor of
 * UTF-8 bytes, see `TermTable`) with its idf, the
 * logistic regression's weights, and the weights with which its
 * log-probabilities and the LSTM classifiers' averaged ones are combined
 * (fitted on validation by the trainer; see `blendProbabilities`). A model folder like any other (`model.safetensors` +
 * `config.json`, checksummed), so the TensorFlow.js path, the wasm CPU path
 * and an edge bundle read it the same way.
 *
 * @module
 */
import type { BlendWeights } from "../classify.ts";
import { tensorMismatch } from "../weights/expected.ts";
import { f32ArrayToF16 } from "../weights/half.ts";
import { toFloat32Tensor } from "../weights/safetensors.ts";
import type { LoadedModel, ModelToSave } from "../weights/folder.ts";
import { type LogRegModel, predictProba } from "./logreg.ts";
import { type Lsa, withLsa } from "./lsa.ts";
import type { Baseline } from "./mod.ts";
import { TermTable } from "./term_table.ts";
import { type TfidfOptions, TfidfVectorizer } from "./tfidf.ts";

/** The folder name inside a trainer output folder. */
export const BASELINE_DIR = "baseline";

/** `config.json`'s `kind` of this model. */
export const BASELINE_KIND = "tfidf-lr";

/** What `config.json` of a saved baseline holds. */
export interface BaselineConfig {
  kind: typeof BASELINE_KIND;
  /** Class names, in the order of the probabilities (the LSTM classifiers' order). */
  labels: string[];
  /** The weights of the classifiers' and this model's log-probabilities in the blend. */
  blend: BlendWeights;
  /** The weights for one direction's classifier alone (loaded with only that direction);
   * folders from before these were fitted lack them, and `blend` then applies. */
  blendByDirection?: DirectionWeights;
  /** The logistic regression's C. */
  C: number;
  /** How the TF-IDF rows are made. */
  tfidf: Required<TfidfOptions>;
  /**
   * The vocabulary in feature order, in folders written before 2026-12-05 (still read); since
   * then the `terms` tensor holds it (U8: the terms' UTF-8, separated by line breaks).
   */
  terms?: string[];
  /**
   * LSA coordinates appended to each TF-IDF row (`lsaColumns` I32, `lsaComponents` F16 tensors;
   * the weights then have `terms.length + dims` rows); absent without LSA.
   */
  lsa?: { dims: number };
}

/** Blend weights fitted for one reading direction's classifier alone. */
export type DirectionWeights = { fwd?: BlendWeights; bwd?: BlendWeights };

/** A loaded bag-of-words model, ready to blend. */
export interface BlendBaseline {
  labels: string[];
  /** The weights of the classifiers' (averaged) and this model's log-probabilities. */
  weights: BlendWeights;
  /** The weights for one direction alone, where fitted. */
  byDirection: DirectionWeights;
  /** Vocabulary size. */
  features: number;
  /** Class probabilities per text. */
  predictProba(texts: readonly string[]): Float32Array[];
}

/** The folder to save for a trained baseline blended in with `weights`. */
export function baselineToSave(
  b: Baseline,
  weights: BlendWeights,
  byDirection: DirectionWeights = {},
): ModelToSave {
  const { vectorizer, model } = b;
  const config: BaselineConfig = {
    kind: BASELINE_KIND,
    labels: b.labels,
    blend: { ...weights },
    ...(Object.keys(byDirection).length ? { blendByDirection: structuredClone(byDirection) } : {}),
    C: b.C,
    tfidf: { ...vectorizer.options },
  };
  const termBytes = vectorizer.vocabulary.toBytes();
  const V = vectorizer.size, K = model.classes, lsa = b.lsa;
  if (lsa) config.lsa = { dims: lsa.dims };
  const D = lsa?.columns.length ?? 0, F = V + (lsa?.dims ?? 0);
  return {
    config,
    tensors: {
      terms: { dtype: "U8", shape: [termBytes.length], data: termBytes },
      idf: { dtype: "F32", shape: [V], data: Float32Array.from(vectorizer.idf) },
      weights: { dtype: "F32", shape: [F, K], data: Float32Array.from(model.weights) },
      bias: { dtype: "F32", shape: [K], data: Float32Array.from(model.bias) },
      ...(lsa
        ? {
          lsaColumns: { dtype: "I32", shape: [D], data: lsa.columns },
          lsaComponents: {
            dtype: "F16",
            shape: [D, lsa.dims],
            data: f32ArrayToF16(lsa.components),
          },
        }
        : {}),
    },
  };
}

/**
 * Checks a loaded baseline folder and makes it predict; `labels`, when given, must be the
 * classifiers' labels in the same order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainBaseline } from "./mod.ts";
 * import { baselineFromLoaded, baselineToSave } from "./saved.ts";
 * const train = ["good fun", "good film", "bad film", "bad plot"].map((text) => ({
 *   text,
 *   label: text.startsWith("good") ? "pos" : "neg",
 * }));
 * const b = trainBaseline(train, { grid: [10] });
 * const { config, tensors } = baselineToSave(b, { lm: 0.5, baseline: 2 });
 * const saved = baselineFromLoaded({ config: { ...config }, tensors, checksum: "" }, "memory");
 * assert.deepEqual(saved.weights, { lm: 0.5, baseline: 2 });
 * const [p] = saved.predictProba(["a good plot"]);
 * assert.ok(Math.abs(p[1] - b.predictProba(["a good plot"])[0][1]) < 1e-6);
 * ```
 */
export function baselineFromLoaded(
  raw: LoadedModel,
  where: string,
  labels?: readonly string[],
): BlendBaseline {
  const fail = (problem: string): never => {
    throw new Error(`Cannot load the bag-of-words model from ${where}: ${problem}`);
  };
  const c = raw.config as Partial<BaselineConfig>;
  if (c.kind !== BASELINE_KIND) fail(`config.json's kind is ${c.kind}, not ${BASELINE_KIND}`);
  if (!Array.isArray(c.labels) || c.labels.length < 2) fail("config.json lists no labels");
  if (labels && c.labels!.join("\n") !== labels.join("\n")) {
    fail(
      `its labels ${JSON.stringify(c.labels)} differ from the classifiers' ` +
        `${JSON.stringify(labels)}; train them together`,
    );
  }
  const checkWeights = (w: unknown, key: string) => {
    const { lm, baseline } = (w ?? {}) as Partial<BlendWeights>;
    if (![lm, baseline].every((x) => typeof x === "number" && x >= 0 && x < Infinity)) {
      fail(
        `config.json's ${key} is ${
          JSON.stringify(w)
        }; it must be { "lm": x, "baseline": y }, x, y ≥ 0`,
      );
    }
  };
  checkWeights(c.blend, "blend");
  const byDirection: DirectionWeights = {};
  for (const [dir, w] of Object.entries(c.blendByDirection ?? {})) {
    if (dir !== "fwd" && dir !== "bwd") {
      fail(`config.json's blendByDirection has "${dir}"; use fwd, bwd`);
    }
    checkWeights(w, `blendByDirection.${dir}`);
    byDirection[dir as "fwd"] = { lm: w.lm, baseline: w.baseline };
  }
  const w = c.blend;
  const vocabulary = vocabularyOf(raw, where);
  const V = vocabulary.size, K = c.labels!.length, dims = c.lsa?.dims ?? 0;
  if (c.lsa && !(Number.isInteger(dims) && dims > 0)) {
    fail(`config.json's lsa.dims is ${JSON.stringify(dims)}; it must be a whole number ≥ 1`);
  }
  const D = raw.tensors.lsaColumns?.shape[0] ?? 0;
  const mismatch = tensorMismatch(raw.tensors, {
    ...(c.terms ? {} : { terms: { dtype: "U8", shape: raw.tensors.terms.shape } }),
    idf: { dtype: "F32", shape: [V] },
    weights: { dtype: "F32", shape: [V + dims, K] },
    bias: { dtype: "F32", shape: [K] },
    ...(dims
      ? {
        lsaColumns: { dtype: "I32", shape: [D] },
        lsaComponents: { dtype: ["F16", "F32"], shape: [D, dims] },
      }
      : {}),
  });
  if (mismatch) fail(mismatch);
  const columns = raw.tensors.lsaColumns?.data as Int32Array | undefined;
  if (columns?.some((f, i) => f < 0 || f >= V || (i > 0 && f <= columns[i - 1]))) {
    fail("lsaColumns is not an ascending list of features of the vocabulary");
  }
  const lsa: Lsa | undefined = dims
    ? {
      columns: columns!,
      components: toFloat32Tensor(raw.tensors.lsaComponents).data as Float32Array,
      dims,
    }
    : undefined;
  const vectorizer = TfidfVectorizer.fromVocabulary(
    vocabulary,
    raw.tensors.idf.data as Float32Array,
    c.tfidf,
  );
  const model: LogRegModel<Float32Array> = {
    classes: K,
    features: V + dims,
    weights: raw.tensors.weights.data as Float32Array,
    bias: raw.tensors.bias.data as Float32Array,
  };
  return {
    labels: c.labels!,
    weights: { lm: w!.lm, baseline: w!.baseline },
    byDirection,
    features: V + dims,
    predictProba: (texts) =>
      texts.map((t) => {
        const row = vectorizer.transformOne(t);
        return Float32Array.from(predictProba(model, lsa ? withLsa(lsa, row, V) : row));
      }),
  };
}

/** The saved vocabulary: the `terms` tensor, or config.json's list in older folders. */
function vocabularyOf(raw: LoadedModel, where: string): TermTable {
  const listed = (raw.config as Partial<BaselineConfig>).terms;
  const tensor = raw.tensors.terms;
  const fail = (problem: string): never => {
    throw new Error(`Cannot load the bag-of-words model from ${where}: ${problem}`);
  };
  if (listed !== undefined) {
    if (!Array.isArray(listed) || listed.some((t) => typeof t !== "string")) {
      fail("config.json's terms are not a list of strings");
    }
    return TermTable.fromTerms(listed);
  }
  if (!tensor) fail("it has no vocabulary (no terms tensor); train the model again");
  if (tensor.dtype !== "U8" || tensor.shape.length !== 1) {
    fail(`its terms tensor is ${tensor.dtype} of shape [${tensor.shape}], not U8 bytes`);
  }
  return TermTable.fromBytes(tensor.data as Uint8Array, where);
}

/**
 * The weights to blend a classifier of `directions` with: one direction's own where they were
 * fitted, else those fitted for the average of both.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blendWeightsFor } from "./saved.ts";
 * const b = { weights: { lm: 1, baseline: 1 }, byDirection: { fwd: { lm: 0.5, baseline: 2 } } };
 * assert.deepEqual(blendWeightsFor(b, ["fwd"]), { lm: 0.5, baseline: 2 });
 * assert.deepEqual(blendWeightsFor(b, ["bwd"]), { lm: 1, baseline: 1 });
 * assert.deepEqual(blendWeightsFor(b, ["fwd", "bwd"]), { lm: 1, baseline: 1 });
 * ```
 */
export function blendWeightsFor(
  b: Pick<BlendBaseline, "weights" | "byDirection">,
  directions: readonly string[],
): BlendWeights {
  const one = directions.length === 1 ? b.byDirection[directions[0] as "fwd"] : undefined;
  return one ?? b.weights;
}
