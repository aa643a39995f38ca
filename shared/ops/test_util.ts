/**
 * Helpers shared by the kernel tests.
 *
 * @module
 */

/**
 * Largest absolute difference relative to the largest magnitude of `b`
 * (the reference), so near-zero entries do not inflate the error.
 *
 * @example
 * ```ts
 * import { relError } from "./test_util.ts";
 * console.assert(relError(new Float32Array([1, 2.002]), new Float32Array([1, 2])) < 1.01e-3);
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
