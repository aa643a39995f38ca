/**
 * Conversions between 32-bit floats and the two 16-bit float formats that
 * safetensors files carry: IEEE 754 half precision (F16) and bfloat16 (BF16).
 * Values travel as their raw 16-bit patterns, the way they sit in a file.
 *
 * @module
 */

// One scratch word shared by the bit-level conversions; JS is single-threaded
// per isolate, so reuse is safe and avoids an allocation per value.
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/**
 * Converts an F16 bit pattern to the number it encodes. Exact: every half
 * value, subnormals included, is representable as a 32-bit float.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f16ToF32 } from "./half.ts";
 * assert.equal(f16ToF32(0x3c00), 1);
 * assert.equal(f16ToF32(0x7c00), Infinity);
 * ```
 */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero or subnormal
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/**
 * Converts a BF16 bit pattern to the number it encodes. BF16 is the top half
 * of an F32, so this is exact and keeps NaN payloads.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bf16ToF32 } from "./half.ts";
 * assert.equal(bf16ToF32(0x3f80), 1);
 * ```
 */
export function bf16ToF32(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

/**
 * Rounds a number (first to F32, then to the nearest F16, ties to even) and
 * returns the F16 bit pattern. Values beyond the half range become ±Infinity; NaN becomes the
 * quiet NaN 0x7e00 (with the sign kept).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32ToF16 } from "./half.ts";
 * assert.equal(f32ToF16(1), 0x3c00);
 * assert.equal(f32ToF16(65504), 0x7bff);
 * assert.equal(f32ToF16(1e6), 0x7c00);
 * ```
 */
export function f32ToF16(value: number): number {
  // Work on the F32 bits: tensor data is Float32Array, so this is the value
  // being stored, and integer ops make the rounding exact.
  scratchF32[0] = value;
  const bits = scratchU32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Below 2^-25 everything rounds to zero, even F32 subnormals.
    if (halfExponent < -10) return sign;
    const significand = mantissa | 0x800000;
    return sign | roundShift(significand, 14 - halfExponent);
  }
  // A carry out of the mantissa correctly bumps the exponent (up to Infinity).
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** `value >> shift`, rounded to nearest with ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/**
 * Converts a whole array of F16 bit patterns to a new Float32Array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f16ArrayToF32 } from "./half.ts";
 * const out = f16ArrayToF32(new Uint16Array([0x3c00, 0xc000]));
 * assert.equal(out[0], 1);
 * assert.equal(out[1], -2);
 * ```
 */
export function f16ArrayToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16ToF32(bits[i]);
  return out;
}

/**
 * Converts a whole array of BF16 bit patterns to a new Float32Array.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bf16ArrayToF32 } from "./half.ts";
 * assert.equal(bf16ArrayToF32(new Uint16Array([0xc000]))[0], -2);
 * ```
 */
export function bf16ArrayToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/**
 * Rounds a Float32Array to F16 bit patterns, ready to store as an `F16`
 * tensor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { f32ArrayToF16 } from "./half.ts";
 * const bits = f32ArrayToF16(new Float32Array([1, -2]));
 * assert.equal(bits[0], 0x3c00);
 * assert.equal(bits[1], 0xc000);
 * ```
 */
export function f32ArrayToF16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16(values[i]);
  return out;
}
