/**
 * Concat pooling [last, max, mean] accumulated chunk by chunk (BPT3C). Each
 * chunk's statistics come from one custom-gradient op that keeps only the
 * chunk's own outputs (which the LSTM's backward pass holds anyway) for its
 * gradient, so pooling a long document, or every layer of it, adds no
 * per-step tensors to the gradient tape.
 *
 * @module
 */
import type { Tensor, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import type { Ops } from "../ops/ops.ts";

/** Larger than any activation: positions outside a window get −this before the max. */
const OUTSIDE = 1e30;

/**
 * Pooling statistics of one chunk `y` [T, B, H]: [B, 3H] rows of
 * last | max | sum, where `last` [T, B, 1] is 1 at each document's last step
 * and `pool` [T, B, 1] is 1 inside its window (a document with no window
 * step in this chunk gets max −1e30 and zeros).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "../ops/ops.ts";
 * import { chunkStats } from "./pooling.ts";
 * await tf.setBackend("cpu");
 * // T = 3, B = 1, H = 1: values 1, 5, 3; window = steps 1–2, last = step 2.
 * const y = tf.tensor3d([[[1]], [[5]], [[3]]]);
 * const stats = chunkStats(createOps(tf, "cpu"), y,
 *   tf.tensor3d([[[0]], [[1]], [[1]]]), tf.tensor3d([[[0]], [[0]], [[1]]]));
 * assert.deepEqual([...stats.dataSync()], [3, 5, 8]);
 * ```
 */
export function chunkStats(ops: Ops, y: Tensor3D, pool: Tensor3D, last: Tensor3D): Tensor2D {
  const H = y.shape[2];
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((yIn: Tensor3D, save: any) => {
      save([yIn, pool, last]);
      const lastV = ops.sum(ops.mul(yIn, last), 0);
      const maxV = ops.max(ops.add(yIn, ops.mul(ops.sub(pool, 1), OUTSIDE)), 0);
      const sumV = ops.sum(ops.mul(yIn, pool), 0);
      return {
        value: ops.concat([lastV, maxV, sumV], 1) as Tensor2D,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [yS, poolS, lastS] = saved as Tensor3D[];
          const [dLast, dMax, dSum] = ops.split(dy as Tensor2D, [H, H, H], 1);
          // The max's gradient goes to the window step(s) that hold it.
          const masked = ops.add(yS, ops.mul(ops.sub(poolS, 1), OUTSIDE));
          const winner = ops.mul(
            ops.cast(ops.equal(masked, ops.max(masked, 0, true)), "float32"),
            poolS,
          );
          return ops.addN([
            ops.mul(lastS, dLast),
            ops.mul(winner, dMax),
            ops.mul(poolS, dSum),
          ]);
        },
      };
    }) as never,
  );
  return (run as unknown as (t: Tensor3D) => Tensor2D)(y);
}

/**
 * Adds chunks' statistics up: `add` each chunk's per-layer outputs in order,
 * then `result` gives [B, 3F] as last | max | mean over all layers' features
 * (F = the layers' widths summed, lowest layer first), or [B, F] of the last
 * states without concat pooling.
 */
export class ChunkPooler {
  #sums: Tensor2D[] = [];
  #lasts: Tensor2D[] = [];
  #maxes: Tensor2D[] = [];

  constructor(readonly ops: Ops, readonly counts: Float32Array) {}

  /** One chunk: `ys` the pooled layers' outputs [T, B, H_l]; masks [T, B, 1]. */
  add(ys: Tensor3D[], pool: Tensor3D, last: Tensor3D): void {
    const { ops } = this;
    ys.forEach((y, l) => {
      const H = y.shape[2];
      const [lastV, maxV, sumV] = ops.split(
        chunkStats(ops, y, pool, last),
        [H, H, H],
        1,
      ) as Tensor2D[];
      const first = this.#sums[l] === undefined;
      this.#lasts[l] = first ? lastV : ops.add(this.#lasts[l], lastV) as Tensor2D;
      this.#maxes[l] = first ? maxV : ops.maximum(this.#maxes[l], maxV) as Tensor2D;
      this.#sums[l] = first ? sumV : ops.add(this.#sums[l], sumV) as Tensor2D;
    });
  }

  /** The pooled features of everything added. */
  result(concatPool: boolean): Tensor2D {
    const { ops } = this;
    const B = this.counts.length;
    const last = ops.concat(this.#lasts, 1) as Tensor2D;
    if (!concatPool) return last;
    const mean = ops.div(ops.concat(this.#sums, 1), ops.tensor(this.counts, [B, 1]));
    return ops.concat([last, ops.concat(this.#maxes, 1), mean], 1) as Tensor2D;
  }
}
