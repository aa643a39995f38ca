/**
 * The strict safetensors reader: the whole file is checked (header, dtypes,
 * shapes, offsets, layout) before any tensor is copied out.
 *
 * @module
 */
import {
  type DType,
  DTYPES,
  elementCount,
  formatShape,
  isDType,
  METADATA_KEY,
  type NamedTensor,
  requireLittleEndian,
  toFloat32Tensor,
} from "./safetensors.ts";

/** The largest header accepted; the reference implementation uses the same cap. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * The error {@linkcode decodeSafetensors} throws; `problem` is the message
 * without its "Cannot decode safetensors: " prefix, for callers that add
 * their own context.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors, SafetensorsError } from "./safetensors_read.ts";
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
 * import { decodeSafetensors } from "./safetensors_read.ts";
 * import { encodeSafetensors } from "./safetensors_write.ts";
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
