/**
 * Smaller weight files: int8 matrices with one fp32 scale per output row
 * (symmetric, q = round(w / s), s = max|row| / 127), or every tensor in
 * fp16. An int8 tensor `name` [rows, cols] is stored as dtype I8 with its
 * scales beside it as `name.scale` (F32 [rows]), so the safetensors header
 * records the dtype of every tensor. Plain typed arrays, no TensorFlow.js.
 *
 * @module
 */
import { f32ArrayToF16 } from "./half.ts";
import { type NamedTensor, toFloat32Tensor } from "./safetensors.ts";

/** Suffix of the per-row scales of an int8 tensor. */
export const SCALE_SUFFIX = ".scale";

/** Precisions a model folder can be written in. */
export const WEIGHT_DTYPES = ["f32", "f16", "int8"] as const;
/** One of {@linkcode WEIGHT_DTYPES}. */
export type WeightDtype = typeof WEIGHT_DTYPES[number];

/**
 * Quantizes a row-major [rows, cols] matrix to int8, one scale per row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dequantizeRows, quantizeRows } from "./quantize.ts";
 * // Row 0: max |w| = 2.54, so s = 0.02 and q = round(w / 0.02).
 * const { q, scale } = quantizeRows(new Float32Array([2.54, -1, 0.011, 0, 0, 0]), 2);
 * assert.deepEqual([...q], [127, -50, 1, 0, 0, 0]);
 * assert.ok(Math.abs(scale[0] - 0.02) < 1e-9);
 * assert.equal(scale[1], 0); // an all-zero row stays zero
 * const back = dequantizeRows(q, scale, 2);
 * assert.deepEqual([...back].map((v) => Math.round(v * 1e6) / 1e6), [2.54, -1, 0.02, 0, 0, 0]);
 * ```
 */
export function quantizeRows(
  data: Float32Array,
  rows: number,
): { q: Int8Array; scale: Float32Array } {
  const cols = data.length / rows;
  const q = new Int8Array(data.length), scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(data[r * cols + c]));
    scale[r] = max / 127;
    if (max === 0) continue;
    const inv = 127 / max;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(data[r * cols + c] * inv);
  }
  return { q, scale };
}

/** The fp32 matrix an int8 one stands for: q × its row's scale. */
export function dequantizeRows(q: Int8Array, scale: Float32Array, rows: number): Float32Array {
  const cols = q.length / rows;
  const out = new Float32Array(q.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = q[r * cols + c] * scale[r];
  }
  return out;
}

/**
 * The tensors in `dtype`: with int8, the matrices `int8` selects become I8
 * plus scales and the rest stay F32; with f16, every F32 tensor is F16.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertTensors } from "./quantize.ts";
 * const w = { dtype: "F32" as const, shape: [2, 2], data: new Float32Array([1, -1, 0.5, 0]) };
 * const b = { dtype: "F32" as const, shape: [2], data: new Float32Array([3, 4]) };
 * const out = convertTensors({ w, b }, "int8", (n) => n === "w");
 * assert.deepEqual(Object.keys(out).sort(), ["b", "w", "w.scale"]);
 * assert.equal(out.w.dtype, "I8");
 * assert.equal(out.b.dtype, "F32");
 * assert.equal(convertTensors({ w, b }, "f16", () => true).w.dtype, "F16");
 * ```
 */
export function convertTensors(
  tensors: Record<string, NamedTensor>,
  dtype: WeightDtype,
  int8: (name: string, t: NamedTensor) => boolean,
): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, t0] of Object.entries(tensors)) {
    const t = toFloat32Tensor(t0);
    if (t.dtype !== "F32" || dtype === "f32") out[name] = t;
    else if (dtype === "f16") {
      out[name] = { dtype: "F16", shape: t.shape, data: f32ArrayToF16(t.data as Float32Array) };
    } else if (t.shape.length === 2 && int8(name, t)) {
      const { q, scale } = quantizeRows(t.data as Float32Array, t.shape[0]);
      out[name] = { dtype: "I8", shape: t.shape, data: q };
      out[name + SCALE_SUFFIX] = { dtype: "F32", shape: [t.shape[0]], data: scale };
    } else out[name] = t;
  }
  return out;
}

/**
 * Every tensor as F32: int8 ones multiplied back by their scales (which are
 * dropped), F16 and BF16 ones widened. What a path that computes in fp32
 * (TensorFlow.js) loads an int8 or fp16 folder as.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { convertTensors, widenTensors } from "./quantize.ts";
 * const w = { dtype: "F32" as const, shape: [1, 2], data: new Float32Array([0.5, -1]) };
 * const back = widenTensors(convertTensors({ w }, "int8", () => true));
 * assert.deepEqual(Object.keys(back), ["w"]);
 * assert.ok(Math.abs((back.w.data as Float32Array)[0] - 0.5) < 0.004);
 * ```
 */
export function widenTensors(tensors: Record<string, NamedTensor>): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (
      name.endsWith(SCALE_SUFFIX) && tensors[name.slice(0, -SCALE_SUFFIX.length)]?.dtype === "I8"
    ) {
      continue;
    }
    if (t.dtype === "I8") {
      const scale = tensors[name + SCALE_SUFFIX]?.data as Float32Array | undefined;
      if (!scale || scale.length !== t.shape[0]) {
        throw new Error(
          `Cannot widen tensor "${name}": it is I8 without ${name}${SCALE_SUFFIX} [${
            t.shape[0]
          }]; write the folder again with deno task quantize`,
        );
      }
      out[name] = {
        dtype: "F32",
        shape: t.shape,
        data: dequantizeRows(t.data as Int8Array, scale, t.shape[0]),
      };
    } else out[name] = toFloat32Tensor(t);
  }
  return out;
}
