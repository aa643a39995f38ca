/**
 * Moving a language model onto another vocabulary: the embedding rows and
 * decoder biases of the words both vocabularies share are copied, and a word
 * the old vocabulary lacks starts as the mean row and the mean bias (the
 * paper's stage 2, and fastai checkpoints whose vocabulary lacks one of
 * fitlam's special tokens). No TensorFlow.js: it works on plain parameter
 * data, as loaded from or written to a weight file.
 *
 * @module
 */
import type { ParamData } from "./params.ts";

/**
 * For each token of `to`, its row in `from`, or -1 when `from` lacks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowsByToken } from "./vocab_transfer.ts";
 * assert.deepEqual(rowsByToken(["xxunk", "the", "cat"], ["xxunk", "cat", "dog"]), [0, 2, -1]);
 * ```
 */
export function rowsByToken(from: readonly string[], to: readonly string[]): number[] {
  const index = new Map(from.map((w, i) => [w, i]));
  return to.map((w) => index.get(w) ?? -1);
}

/**
 * `params` with `encoder.weight` and `decoder.bias` rebuilt for a new
 * vocabulary: new id `i` takes old row `rowOf[i]`, or, where that is -1, the
 * mean of every old row (embedding) and of every old bias. The other
 * parameters are passed through unchanged; `params` itself is not modified.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferVocabRows } from "./vocab_transfer.ts";
 * const moved = transferVocabRows({
 *   "encoder.weight": { shape: [2, 2], data: new Float32Array([1, 2, 3, 6]) },
 *   "decoder.bias": { shape: [2], data: new Float32Array([0.5, 1.5]) },
 * }, [1, -1]);
 * assert.deepEqual([...moved["encoder.weight"].data], [3, 6, 2, 4]);
 * assert.deepEqual([...moved["decoder.bias"].data], [1.5, 1]);
 * ```
 */
export function transferVocabRows(
  params: Readonly<Record<string, ParamData>>,
  rowOf: readonly number[],
): Record<string, ParamData> {
  const emb = params["encoder.weight"], bias = params["decoder.bias"];
  if (!emb || !bias) {
    throw new Error(
      "Cannot move the model onto another vocabulary: it lacks encoder.weight or decoder.bias",
    );
  }
  const [rows, E] = emb.shape;
  const meanEmb = new Float32Array(E);
  for (let r = 0; r < rows; r++) {
    for (let e = 0; e < E; e++) meanEmb[e] += emb.data[r * E + e] / rows;
  }
  const meanBias = bias.data.reduce((a, b) => a + b, 0) / rows;
  const size = rowOf.length;
  const newEmb = new Float32Array(size * E), newBias = new Float32Array(size);
  rowOf.forEach((row, i) => {
    if (row < 0) newEmb.set(meanEmb, i * E), newBias[i] = meanBias;
    else newEmb.set(emb.data.subarray(row * E, (row + 1) * E), i * E), newBias[i] = bias.data[row];
  });
  return {
    ...params,
    "encoder.weight": { shape: [size, E], data: newEmb },
    "decoder.bias": { shape: [size], data: newBias },
  };
}
