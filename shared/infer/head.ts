/**
 * The classifier head in plain JavaScript for the CPU inference path:
 * BatchNorm with running statistics (folded into one scale and shift per
 * feature), linear blocks with ReLU between them, and a softmax. At most a
 * few hundred thousand multiply-adds per document, so no kernel is needed.
 *
 * @module
 */
import type { HeadConfig } from "../model/config.ts";
import { type NamedTensor, toFloat32Tensor } from "../weights/safetensors.ts";
import { SCALE_SUFFIX } from "../weights/quantize.ts";

/**
 * One block: y = rowScale ⊙ (W·(x·scale + shift)) + bias, W [nOut, nIn]
 * row-major, fp32 (row scales 1) or int8 (used as stored).
 */
interface Block {
  nIn: number;
  nOut: number;
  scale: Float32Array;
  shift: Float32Array;
  weight: Float32Array | Int8Array;
  rowScale: Float32Array;
  bias: Float32Array;
}

/** The head of one direction. */
export class Head {
  readonly blocks: Block[] = [];

  constructor(config: HeadConfig, tensors: Record<string, NamedTensor>) {
    const blocks = config.hiddenSizes.length + 1;
    for (let k = 0; k < blocks; k++) {
      const t = (n: string) => toFloat32Tensor(tensors[`head.${k}.${n}`]).data as Float32Array;
      const [w, b, mean, variance] = [
        t("bn.weight"),
        t("bn.bias"),
        t("bn.running_mean"),
        t("bn.running_var"),
      ];
      const scale = new Float32Array(w.length), shift = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        scale[i] = w[i] / Math.sqrt(variance[i] + config.bnEps);
        shift[i] = b[i] - mean[i] * scale[i];
      }
      const bias = t("linear.bias");
      const lin = tensors[`head.${k}.linear.weight`];
      const q8 = lin.dtype === "I8";
      const weight = q8 ? lin.data as Int8Array : t("linear.weight");
      const rowScale = q8
        ? t(`linear.weight${SCALE_SUFFIX}`)
        : new Float32Array(bias.length).fill(1);
      this.blocks.push({
        nIn: w.length,
        nOut: bias.length,
        scale,
        shift,
        weight,
        rowScale,
        bias,
      });
    }
  }

  /** Class probabilities [B × C] of the pooled features `x` [B × nIn]. */
  probabilities(x: Float32Array, B: number): Float32Array {
    let cur = x;
    this.blocks.forEach((blk, k) => {
      const out = new Float32Array(B * blk.nOut);
      const normed = new Float32Array(blk.nIn);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < blk.nIn; i++) {
          normed[i] = cur[b * blk.nIn + i] * blk.scale[i] + blk.shift[i];
        }
        for (let j = 0; j < blk.nOut; j++) {
          let s = 0;
          const row = j * blk.nIn;
          for (let i = 0; i < blk.nIn; i++) s += blk.weight[row + i] * normed[i];
          s = s * blk.rowScale[j] + blk.bias[j];
          out[b * blk.nOut + j] = k < this.blocks.length - 1 && s < 0 ? 0 : s;
        }
      }
      cur = out;
    });
    return softmaxRows(cur, B);
  }
}

/**
 * Softmax of each of the `rows` rows of `x`, in place.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxRows } from "./head.ts";
 * const p = softmaxRows(new Float32Array([0, Math.log(3), 5, 5]), 2);
 * [0.25, 0.75, 0.5, 0.5].forEach((want, i) => assert.ok(Math.abs(p[i] - want) < 1e-7));
 * ```
 */
export function softmaxRows(x: Float32Array, rows: number): Float32Array {
  const C = x.length / rows;
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * C, (r + 1) * C);
    const m = Math.max(...row);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += row[c] = Math.exp(row[c] - m);
    for (let c = 0; c < C; c++) row[c] /= sum;
  }
  return x;
}
