/**
 * PyTorch's storages and tensors as a checkpoint describes them: a storage
 * holds the raw bytes of one element type, a tensor views a storage through
 * an offset, a shape and strides, and turns into a contiguous Float32Array
 * on request. `torch_checkpoint.ts` builds them from the files.
 *
 * @module
 */
import { bf16ArrayToF32, f16ArrayToF32 } from "../weights/half.ts";

/** Element types of PyTorch storages this reader understands. */
export type TorchDType =
  | "float64"
  | "float32"
  | "float16"
  | "bfloat16"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "uint8"
  | "bool";

/** The storage classes PyTorch names, with their element type and width. */
export const STORAGE_TYPES: Record<string, [TorchDType, number]> = {
  DoubleStorage: ["float64", 8],
  FloatStorage: ["float32", 4],
  HalfStorage: ["float16", 2],
  BFloat16Storage: ["bfloat16", 2],
  LongStorage: ["int64", 8],
  IntStorage: ["int32", 4],
  ShortStorage: ["int16", 2],
  CharStorage: ["int8", 1],
  ByteStorage: ["uint8", 1],
  BoolStorage: ["bool", 1],
};

/**
 * A storage class such as `torch.FloatStorage`, as named in a checkpoint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StorageType } from "./torch_tensor.ts";
 * assert.equal(new StorageType("HalfStorage", "float16", 2).itemSize, 2);
 * ```
 */
export class StorageType {
  constructor(readonly name: string, readonly dtype: TorchDType, readonly itemSize: number) {}
}

/**
 * A block of elements of one dtype that tensors view. Its bytes are filled
 * in once the checkpoint's data section has been read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TorchStorage } from "./torch_tensor.ts";
 * const s = new TorchStorage("0", "float32", 4, "cpu");
 * s.bytes = new Uint8Array(new Float32Array([1, 2]).buffer);
 * assert.equal(s.numel, 2);
 * assert.equal(s.float32()[1], 2);
 * ```
 */
export class TorchStorage {
  /** Raw little-endian bytes; undefined until read. */
  bytes: Uint8Array | undefined;
  /** For a legacy storage view: the storage it is part of and where. */
  viewOf: { root: TorchStorage; offset: number; numel: number } | undefined;
  #float32: Float32Array | undefined;

  constructor(
    readonly key: string,
    readonly dtype: TorchDType,
    readonly itemSize: number,
    readonly location: string,
  ) {}

  /** The raw bytes (a view's part of its root's). */
  data(): Uint8Array {
    if (this.viewOf) {
      const { root, offset, numel } = this.viewOf;
      return root.data().subarray(offset * this.itemSize, (offset + numel) * this.itemSize);
    }
    if (!this.bytes) throw new Error(`storage ${this.key} has no data`);
    return this.bytes;
  }

  /** Number of elements. */
  get numel(): number {
    return Math.floor(this.data().length / this.itemSize);
  }

  /** Every element as float32 (computed once). */
  float32(): Float32Array {
    if (this.#float32) return this.#float32;
    const raw = this.data();
    const n = this.numel;
    // Typed arrays need aligned offsets: copy when the bytes are not.
    const aligned = raw.byteOffset % this.itemSize === 0 ? raw : raw.slice();
    const buf = aligned.buffer, at = aligned.byteOffset;
    let out: Float32Array;
    switch (this.dtype) {
      case "float32":
        out = new Float32Array(buf, at, n);
        break;
      case "float64":
        out = Float32Array.from(new Float64Array(buf, at, n));
        break;
      case "float16":
        out = f16ArrayToF32(new Uint16Array(buf, at, n));
        break;
      case "bfloat16":
        out = bf16ArrayToF32(new Uint16Array(buf, at, n));
        break;
      case "int64":
        out = Float32Array.from(new BigInt64Array(buf, at, n), (v) => Number(v));
        break;
      case "int32":
        out = Float32Array.from(new Int32Array(buf, at, n));
        break;
      case "int16":
        out = Float32Array.from(new Int16Array(buf, at, n));
        break;
      case "int8":
        out = Float32Array.from(new Int8Array(buf, at, n));
        break;
      default:
        out = Float32Array.from(new Uint8Array(buf, at, n));
    }
    return (this.#float32 = out);
  }
}

/**
 * A tensor as saved: a view of a storage from `offset` with `shape` and
 * `stride` (in elements), so non-contiguous and offset tensors read right.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TorchStorage, TorchTensor } from "./torch_tensor.ts";
 * const s = new TorchStorage("0", "float32", 4, "cpu");
 * s.bytes = new Uint8Array(new Float32Array([9, 1, 2, 3, 4]).buffer);
 * // A transposed 2×2 view starting at element 1: [[1, 3], [2, 4]].
 * const t = new TorchTensor(s, 1, [2, 2], [1, 2]);
 * assert.equal(t.toFloat32().join(), "1,3,2,4");
 * ```
 */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}

  /** Element type of the storage. */
  get dtype(): TorchDType {
    return this.storage.dtype;
  }

  /** Number of elements. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The elements in row-major order as a new Float32Array. */
  toFloat32(): Float32Array {
    const src = this.storage.float32();
    const n = this.numel;
    const out = new Float32Array(n);
    if (n === 0) return out;
    const rank = this.shape.length;
    let last = this.offset, contiguous = true, expect = 1;
    for (let d = rank - 1; d >= 0; d--) {
      last += (this.shape[d] - 1) * this.stride[d];
      if (this.shape[d] !== 1 && this.stride[d] !== expect) contiguous = false;
      expect *= this.shape[d];
    }
    if (this.offset < 0 || last >= src.length || this.stride.some((s) => s < 0)) {
      throw new Error(
        `a tensor of shape [${this.shape}] at offset ${this.offset} with strides [${this.stride}] ` +
          `reaches past its storage of ${src.length} elements`,
      );
    }
    if (contiguous) {
      out.set(src.subarray(this.offset, this.offset + n));
      return out;
    }
    const idx = new Array(rank).fill(0);
    let at = this.offset;
    for (let i = 0; i < n; i++) {
      out[i] = src[at];
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < this.shape[d]) {
          at += this.stride[d];
          break;
        }
        at -= (this.shape[d] - 1) * this.stride[d];
        idx[d] = 0;
      }
    }
    return out;
  }
}
