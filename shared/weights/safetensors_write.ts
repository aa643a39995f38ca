/**
 * The safetensors writer: tensors in sorted name order, the header padded so
 * the data section stays 8-byte aligned, equal inputs giving equal bytes.
 *
 * @module
 */
import {
  DTYPES,
  elementCount,
  formatShape,
  isDType,
  METADATA_KEY,
  type NamedTensor,
  requireLittleEndian,
} from "./safetensors.ts";

/**
 * Serializes tensors (and optional string metadata) to safetensors bytes.
 * Tensors are laid out in sorted name order so equal inputs give equal bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeSafetensors } from "./safetensors_read.ts";
 * import { encodeSafetensors } from "./safetensors_write.ts";
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
