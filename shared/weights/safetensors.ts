/**
 * The safetensors format's building blocks: an 8-byte little-endian header
 * length, a JSON header, then raw little-endian tensor bytes. Here: the
 * tensor type, the dtypes and their widths, widening half precision; the
 * writer is `safetensors_write.ts`, the strict reader `safetensors_read.ts`.
 * Plain typed arrays in and out, so trainer and server share it without
 * TensorFlow.js.
 *
 * @module
 */

import { bf16ArrayToF32, f16ArrayToF32 } from "./half.ts";

/** Element types this project reads and writes. */
export type DType = "F32" | "F16" | "I32" | "I64" | "U8" | "I8" | "BF16";

/**
 * One tensor: row-major data plus its shape. F16 and BF16 data are raw 16-bit
 * patterns in a Uint16Array (see `half.ts` to convert).
 */
export interface NamedTensor {
  /** Element type as safetensors names it. */
  dtype: DType;
  /** Dimensions, outermost first. */
  shape: number[];
  /** The elements in row-major order. */
  data: Float32Array | Int32Array | Uint8Array | Int8Array | Uint16Array | BigInt64Array;
}

/** The typed array constructors that hold tensor data. */
export type TypedArrayCtor =
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | BigInt64ArrayConstructor;

/** Bytes per element and the typed array of each dtype. */
export const DTYPES: Record<DType, { bytes: number; array: TypedArrayCtor }> = {
  F32: { bytes: 4, array: Float32Array },
  F16: { bytes: 2, array: Uint16Array },
  BF16: { bytes: 2, array: Uint16Array },
  I32: { bytes: 4, array: Int32Array },
  I64: { bytes: 8, array: BigInt64Array },
  U8: { bytes: 1, array: Uint8Array },
  I8: { bytes: 1, array: Int8Array },
};

/** The header key of the file's string metadata; no tensor may have this name. */
export const METADATA_KEY = "__metadata__";

// Typed arrays use host byte order; the file is little-endian. Every platform
// Deno ships for is little-endian, so a big-endian host is refused outright
// rather than carrying an untested byte-swapping path.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Throws "Cannot <action>: ..." on a big-endian host. */
export function requireLittleEndian(action: string): void {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new Error(`Cannot ${action}: this host is big-endian, which is not supported`);
  }
}

/**
 * True if `value` is one of the supported dtype names.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDType } from "./safetensors.ts";
 * assert.ok(isDType("F16"));
 * assert.ok(!isDType("F64"));
 * ```
 */
export function isDType(value: unknown): value is DType {
  return typeof value === "string" && Object.hasOwn(DTYPES, value);
}

/**
 * Bytes per element of `dtype`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dtypeBytes } from "./safetensors.ts";
 * assert.equal(dtypeBytes("BF16"), 2);
 * ```
 */
export function dtypeBytes(dtype: DType): number {
  return DTYPES[dtype].bytes;
}

/** Element count of `shape`, or null if it is not a valid shape. */
export function elementCount(shape: unknown): number | null {
  if (!Array.isArray(shape)) return null;
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) return null;
    count *= dim;
  }
  return Number.isSafeInteger(count) ? count : null;
}

/** A shape as error messages show it. */
export function formatShape(shape: unknown): string {
  return JSON.stringify(shape);
}

/**
 * Returns `tensor` with F16 or BF16 data widened to F32; other tensors are
 * returned unchanged.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toFloat32Tensor } from "./safetensors.ts";
 * const t = toFloat32Tensor({ dtype: "BF16", shape: [], data: new Uint16Array([0x3f80]) });
 * assert.equal(t.dtype, "F32");
 * assert.equal(t.data[0], 1);
 * ```
 */
export function toFloat32Tensor(tensor: NamedTensor): NamedTensor {
  if (tensor.dtype === "F16") {
    return { dtype: "F32", shape: tensor.shape, data: f16ArrayToF32(tensor.data as Uint16Array) };
  }
  if (tensor.dtype === "BF16") {
    return { dtype: "F32", shape: tensor.shape, data: bf16ArrayToF32(tensor.data as Uint16Array) };
  }
  return tensor;
}
