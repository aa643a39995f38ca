/**
 * Encoder and strict decoder for the safetensors format: an 8-byte
 * little-endian header length, a JSON header, then raw little-endian tensor
 * bytes. Plain typed arrays in and out, so trainer and server share it
 * without TensorFlow.js.
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

/**
 * The error {@linkcode decodeSafetensors} throws; `problem` is the message
 * without its "Cannot decode safetensors: " prefix, for callers that add
 * their own context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, SafetensorsError } from "./safetensors.ts";
 * assert.throws(
 *   () => decodeSafetensors(new Uint8Array(3)),
 *   (e) => e instanceof SafetensorsError && e.problem.startsWith("the file is 3"),
 * );
 * ```
 */
export class SafetensorsError extends Error {
  /** What is wrong with the bytes, without the "Cannot decode safetensors: " prefix. */
  readonly problem: string;

  /** An error for `problem`, its message prefixed "Cannot decode safetensors: ". */
  constructor(problem: string) {
    super(`Cannot decode safetensors: ${problem}`);
    this.name = "SafetensorsError";
    this.problem = problem;
  }
}

/** What {@linkcode decodeSafetensors} returns. */
export interface DecodedSafetensors {
  /** Every tensor, by name. */
  tensors: Record<string, NamedTensor>;
  /** The header's `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
}

/** Options for {@linkcode decodeSafetensors}. */
export interface DecodeOptions {
  /** Convert F16 and BF16 tensors to F32 (dtype becomes "F32"). */
  toFloat32?: boolean;
  /**
   * Return views into `bytes` instead of copies where a tensor's data is
   * aligned for its type (saves a copy of the weights; the caller must not
   * change `bytes` afterwards). Misaligned tensors are still copied.
   */
  views?: boolean;
}

type TypedArrayCtor =
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Int8ArrayConstructor
  | Uint16ArrayConstructor
  | BigInt64ArrayConstructor;

const DTYPES: Record<DType, { bytes: number; array: TypedArrayCtor }> = {
  F32: { bytes: 4, array: Float32Array },
  F16: { bytes: 2, array: Uint16Array },
  BF16: { bytes: 2, array: Uint16Array },
  I32: { bytes: 4, array: Int32Array },
  I64: { bytes: 8, array: BigInt64Array },
  U8: { bytes: 1, array: Uint8Array },
  I8: { bytes: 1, array: Int8Array },
};

/** The largest header accepted; the reference implementation uses the same cap. */
const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = "__metadata__";

// Typed arrays use host byte order; the file is little-endian. Every platform
// Deno ships for is little-endian, so a big-endian host is refused outright
// rather than carrying an untested byte-swapping path.
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndian(action: string): void {
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
function elementCount(shape: unknown): number | null {
  if (!Array.isArray(shape)) return null;
  let count = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) return null;
    count *= dim;
  }
  return Number.isSafeInteger(count) ? count : null;
}

function formatShape(shape: unknown): string {
  return JSON.stringify(shape);
}

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 * Tensors are laid out in sorted name order so equal inputs give equal bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors(
 *   { w: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } },
 *   { format: "fitlam" },
 * );
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * assert.equal(tensors.w.data[1], 2);
 * assert.equal(metadata.format, "fitlam");
 * ```
 */
export function encodeSafetensors(
  tensors: Record<string, NamedTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  requireLittleEndian("encode safetensors");
  // Header built from entry pairs: Object.fromEntries defines own properties,
  // so even a tensor named "__proto__" lands in the JSON.
  const headerEntries: [string, unknown][] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort();
    for (const key of keys) {
      if (typeof metadata[key] !== "string") {
        throw new Error(
          `Cannot encode safetensors: metadata "${key}" is ${typeof metadata[key]}; ` +
            "metadata values must be strings",
        );
      }
    }
    headerEntries.push([METADATA_KEY, Object.fromEntries(keys.map((k) => [k, metadata[k]]))]);
  }

  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name];
    const byteLength = checkTensor(name, tensor);
    headerEntries.push([name, {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + byteLength],
    }]);
    offset += byteLength;
  }
  const header = Object.fromEntries(headerEntries);

  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padding keeps the data section 8-byte aligned within the file.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);

  let position = 8 + headerLength;
  for (const name of names) {
    const { data } = tensors[name];
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
    position += data.byteLength;
  }
  return out;
}

/** Validates one tensor for encoding and returns its byte length. */
function checkTensor(name: string, tensor: NamedTensor): number {
  const where = `Cannot encode tensor "${name}"`;
  if (name === METADATA_KEY) {
    throw new Error(`${where}: the name is reserved for metadata; rename the tensor`);
  }
  if (!isDType(tensor?.dtype)) {
    throw new Error(
      `${where}: unknown dtype ${JSON.stringify(tensor?.dtype)}; use one of ${
        Object.keys(DTYPES).join(", ")
      }`,
    );
  }
  const count = elementCount(tensor.shape);
  if (count === null) {
    throw new Error(
      `${where}: shape ${formatShape(tensor.shape)} is not a list of non-negative integers`,
    );
  }
  const { array, bytes } = DTYPES[tensor.dtype];
  if (!(tensor.data instanceof array)) {
    throw new Error(
      `${where}: dtype ${tensor.dtype} needs a ${array.name}, got ${
        tensor.data?.constructor?.name ?? typeof tensor.data
      }`,
    );
  }
  if (tensor.data.length !== count) {
    throw new Error(
      `${where}: shape ${
        formatShape(tensor.shape)
      } needs ${count} elements, data has ${tensor.data.length}`,
    );
  }
  return count * bytes;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parses safetensors bytes, checking the whole file before copying anything:
 * it throws (naming the tensor and the problem) on a short or truncated file,
 * a bad header, an unknown dtype, offsets that disagree with the shape, go out
 * of range, overlap or leave gaps, and on trailing bytes. Tensor data is
 * copied into fresh, aligned typed arrays, so `bytes` can be reused.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({
 *   h: { dtype: "F16", shape: [1], data: new Uint16Array([0x3c00]) },
 * });
 * const { tensors } = decodeSafetensors(bytes, { toFloat32: true });
 * assert.equal(tensors.h.dtype, "F32");
 * assert.equal(tensors.h.data[0], 1);
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  options: DecodeOptions = {},
): DecodedSafetensors {
  requireLittleEndian("decode safetensors");
  const fail = (problem: string): never => {
    throw new SafetensorsError(problem);
  };
  if (bytes.length < 8) {
    fail(`the file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.length - 8)) {
    fail(
      `the header length ${declared} runs past the end of the ${bytes.length}-byte file; ` +
        "the file is truncated or not safetensors",
    );
  }
  const headerLength = Number(declared);
  if (headerLength > MAX_HEADER_BYTES) {
    fail(`the header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }

  let header: unknown;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      .decode(bytes.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (error) {
    fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("the header is not a JSON object");
  }

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, fail);
    } else {
      entries.push(parseEntry(name, value, dataLength, fail));
    }
  }
  checkLayout(entries, dataLength, fail);

  const tensors = Object.fromEntries(entries.map((entry): [string, NamedTensor] => {
    const { array, bytes: width } = DTYPES[entry.dtype];
    const at = bytes.byteOffset + dataStart + entry.begin, n = (entry.end - entry.begin) / width;
    // slice() copies into a new buffer starting at 0, so the typed array is
    // aligned even when the tensor sits at an odd offset in the file.
    const data = options.views && at % width === 0
      ? new array(bytes.buffer as ArrayBuffer, at, n)
      : new array(bytes.slice(dataStart + entry.begin, dataStart + entry.end).buffer, 0, n);
    const tensor = { dtype: entry.dtype, shape: entry.shape, data };
    return [entry.name, options.toFloat32 ? toFloat32Tensor(tensor) : tensor];
  }));
  return { tensors, metadata };
}

function parseMetadata(
  value: unknown,
  fail: (problem: string) => never,
): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`"${METADATA_KEY}" is not an object of strings`);
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== "string") fail(`metadata "${key}" is not a string`);
  }
  return value as Record<string, string>;
}

function parseEntry(
  name: string,
  value: unknown,
  dataLength: number,
  fail: (problem: string) => never,
): HeaderEntry {
  const where = `tensor "${name}"`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${where} has a header entry that is not an object`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) {
    fail(
      `${where} has unknown dtype ${JSON.stringify(dtype)} (supported: ${
        Object.keys(DTYPES).join(", ")
      })`,
    );
  }
  const count = elementCount(shape);
  if (count === null) {
    fail(`${where} has shape ${formatShape(shape)}, not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 ||
    !offsets.every((n) => Number.isSafeInteger(n) && n >= 0) || offsets[0] > offsets[1]
  ) {
    fail(
      `${where} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with begin <= end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const expected = count! * DTYPES[dtype as DType].bytes;
  if (end - begin !== expected) {
    fail(
      `${where} has ${end - begin} data bytes, but ${dtype} with shape ${
        formatShape(shape)
      } needs ${expected}`,
    );
  }
  if (end > dataLength) {
    fail(
      `${where} has data_offsets [${begin}, ${end}] past the end of the ${dataLength}-byte data ` +
        "section; the file is truncated",
    );
  }
  return { name, dtype: dtype as DType, shape: shape as number[], begin, end };
}

/** Requires the tensors to tile the data section exactly: no overlap, no gap, nothing after. */
function checkLayout(
  entries: HeaderEntry[],
  dataLength: number,
  fail: (problem: string) => never,
): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: HeaderEntry | undefined;
  let covered = 0;
  for (const entry of sorted) {
    if (entry.begin < covered) {
      fail(
        `tensors "${previous!.name}" and "${entry.name}" overlap (bytes ${entry.begin} to ${
          Math.min(covered, entry.end)
        })`,
      );
    }
    if (entry.begin > covered) {
      fail(
        `tensor "${entry.name}" starts at byte ${entry.begin}, leaving a ${
          entry.begin - covered
        }-byte gap after ${previous ? `tensor "${previous.name}"` : "the header"}`,
      );
    }
    covered = entry.end;
    if (entry.end > entry.begin) previous = entry;
  }
  if (covered < dataLength) {
    fail(`the data section has ${dataLength - covered} bytes after the last tensor`);
  }
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
