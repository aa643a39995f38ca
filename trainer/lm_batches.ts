/**
 * AWD-LSTM language-model batching: the token stream is cut into `bs`
 * contiguous rows, read left to right in windows of variable length
 * (BPTT ~ N(70, 5) with probability 0.95, else N(35, 5); at least 5).
 *
 * @module
 */
import type { Rng } from "../shared/rng.ts";

/** One batch: inputs and next-token targets, [bs, len] row-major. */
export interface LmBatch {
  x: Int32Array;
  y: Int32Array;
  bs: number;
  len: number;
  /** Stream position after this batch (for resume). */
  next: number;
}

/** The stream as `bs` rows of `rowLen` tokens. */
export interface LmRows {
  rows: Int32Array;
  bs: number;
  rowLen: number;
}

/**
 * Cuts a token stream into `bs` contiguous rows (the tail that does not fill
 * a row is dropped, as AWD-LSTM does).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRows } from "./lm_batches.ts";
 * const r = toRows(Int32Array.from([0, 1, 2, 3, 4, 5, 6]), 2);
 * assert.equal(r.rowLen, 3);
 * assert.equal(r.rows.join(), "0,1,2,3,4,5");
 * ```
 */
export function toRows(stream: Int32Array, bs: number): LmRows {
  const rowLen = Math.floor(stream.length / bs);
  if (rowLen < 2) {
    throw new Error(
      `Cannot batch the corpus: ${stream.length} tokens are too few for batch size ${bs}; use more text or a smaller --bs`,
    );
  }
  return { rows: stream.slice(0, rowLen * bs), bs, rowLen };
}

/** Draws the next window length as AWD-LSTM does. */
export function drawSeqLen(rng: Rng, bptt: number, variable: boolean): number {
  if (!variable) return bptt;
  const base = rng.next() < 0.95 ? bptt : bptt / 2;
  return Math.max(5, Math.round(rng.normal(base, 5)));
}

/**
 * The batch starting at stream position `pos`, or undefined at the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchAt, toRows } from "./lm_batches.ts";
 * const r = toRows(Int32Array.from({ length: 20 }, (_, i) => i), 2);
 * const b = batchAt(r, 0, 3)!;
 * assert.equal(b.x.join(), "0,1,2,10,11,12");
 * assert.equal(b.y.join(), "1,2,3,11,12,13");
 * ```
 */
export function batchAt(r: LmRows, pos: number, seqLen: number): LmBatch | undefined {
  const len = Math.min(seqLen, r.rowLen - 1 - pos);
  if (len < 1) return undefined;
  const x = new Int32Array(r.bs * len), y = new Int32Array(r.bs * len);
  for (let b = 0; b < r.bs; b++) {
    const start = b * r.rowLen + pos;
    x.set(r.rows.subarray(start, start + len), b * len);
    y.set(r.rows.subarray(start + 1, start + 1 + len), b * len);
  }
  return { x, y, bs: r.bs, len, next: pos + len };
}

/**
 * Expected number of batches in one pass of {@linkcode drawSeqLen}'s windows (for the rate
 * schedule and the ETA): their mean is 0.95 × bptt + 0.05 × bptt / 2, so counting whole `bptt`
 * windows would end the schedule ~2.5% of the batches early and leave those at its final rate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../shared/rng.ts";
 * import { batchAt, drawSeqLen, expectedBatches, toRows } from "./lm_batches.ts";
 * const r = toRows(new Int32Array(64 * 20_000), 64);
 * const rng = new Rng(3);
 * let n = 0;
 * for (let pos = 0, b; (b = batchAt(r, pos, drawSeqLen(rng, 70, true))); pos = b.next) n++;
 * assert.ok(Math.abs(n - expectedBatches(r, 70)) / n < 0.01, `${n} vs ${expectedBatches(r, 70)}`);
 * ```
 */
export function expectedBatches(r: LmRows, bptt: number): number {
  return Math.max(1, Math.ceil((r.rowLen - 1) / (0.975 * bptt)));
}
