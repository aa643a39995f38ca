/**
 * Helpers shared by the kernel tests.
 *
 * @module
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import type { Rng } from "../rng.ts";
import type { LstmInputs } from "./lstm.ts";
import type { Ops } from "./ops.ts";

/**
 * Largest absolute difference relative to the largest magnitude of `b`
 * (the reference), so near-zero entries do not inflate the error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relError } from "./test_util.ts";
 * assert.ok(relError(new Float32Array([1, 2.002]), new Float32Array([1, 2])) < 1.01e-3);
 * ```
 */
export function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0, scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/**
 * A tensor of normal(0, `scale`) draws from `rng`, in row-major order.
 *
 * @example
 * ```ts ignore
 * const t = randomNormal(ops, new Rng(1), [2, 3], 0.5);
 * ```
 */
export function randomNormal(ops: Ops, rng: Rng, shape: number[], scale: number): Tensor {
  return ops.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal(0, scale)),
    shape,
  );
}

/**
 * Random LSTM inputs for the kernel tests, drawn from `rng` in a fixed order
 * (x, h0, c0, wIh, wHh, bIh, bHh); `rng` can go on to draw more.
 *
 * @example
 * ```ts ignore
 * const inputs = randomLstmInputs(ops, new Rng(5), 4, 2, 3, 6);
 * ```
 */
export function randomLstmInputs(
  ops: Ops,
  rng: Rng,
  T: number,
  B: number,
  I: number,
  H: number,
): LstmInputs {
  const rand = (shape: number[], scale: number) => randomNormal(ops, rng, shape, scale);
  return {
    x: rand([T, B, I], 1) as Tensor3D,
    h0: rand([B, H], 0.5) as Tensor2D,
    c0: rand([B, H], 0.5) as Tensor2D,
    wIh: rand([4 * H, I], 0.4) as Tensor2D,
    wHh: rand([4 * H, H], 0.4) as Tensor2D,
    bIh: rand([4 * H], 0.3) as Tensor1D,
    bHh: rand([4 * H], 0.3) as Tensor1D,
  };
}
