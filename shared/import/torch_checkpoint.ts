/**
 * Reads PyTorch checkpoints (`torch.save` files) without Python: the zip
 * format of torch ≥ 1.6 (`<name>/data.pkl` plus one `<name>/data/<key>` entry
 * per storage) and the legacy format before it (pickles of the magic number,
 * the protocol version and the system info, then the object, then the list
 * of storage keys, then each storage's element count and raw bytes). Tensors
 * come back as {@linkcode TorchTensor}s that know their storage, offset and
 * strides, and turn into contiguous Float32Arrays on request.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { bf16ArrayToF32, f16ArrayToF32 } from "../weights/half.ts";
import { describePy, type PyCallable, PyGlobal, PyObject, unpickle } from "./pickle.ts";

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

const STORAGE_TYPES: Record<string, [TorchDType, number]> = {
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
 * import { StorageType } from "./torch_checkpoint.ts";
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
 * import { TorchStorage } from "./torch_checkpoint.ts";
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
 * import { TorchStorage, TorchTensor } from "./torch_checkpoint.ts";
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

/** What {@linkcode readTorchCheckpoint} returns. */
export interface TorchCheckpoint {
  /** The file layout: torch ≥ 1.6 zip, or the legacy pickle stream. */
  format: "zip" | "legacy";
  /** The saved object, tensors as {@linkcode TorchTensor}s. */
  value: unknown;
}

/** Options of {@linkcode readTorchCheckpoint}. */
export interface ReadCheckpointOptions {
  /** Start of every error message (default `Cannot read the checkpoint`). */
  errorPrefix?: string;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

function torchGlobals(fail: (p: string) => never) {
  const tensorArgs = (args: unknown[], fn: string): TorchTensor => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof TorchStorage)) {
      fail(`${fn} got ${describePy(storage)} instead of a storage`);
    }
    const ints = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x));
    if (!Number.isInteger(offset) || !ints(size) || !ints(stride)) {
      fail(`${fn} got a malformed offset, size or stride`);
    }
    return new TorchTensor(
      storage as TorchStorage,
      offset as number,
      size as number[],
      stride as number[],
    );
  };
  const invoke = (fn: unknown, args: unknown): unknown => {
    if (typeof fn === "function") return (fn as PyCallable)(args as unknown[]);
    if (fn instanceof PyGlobal) return new PyObject(fn, args as unknown[]);
    return fail(`cannot call ${describePy(fn)}`);
  };
  return (module: string, name: string): unknown => {
    if ((module === "torch" || module === "torch.cuda") && name.endsWith("Storage")) {
      const t = STORAGE_TYPES[name];
      return t ? new StorageType(name, t[0], t[1]) : undefined;
    }
    const q = `${module}.${name}`;
    switch (q) {
      case "torch._utils._rebuild_tensor":
      case "torch._utils._rebuild_tensor_v2":
        return ((args) => tensorArgs(args, name)) as PyCallable;
      case "torch._utils._rebuild_parameter":
      case "torch._utils._rebuild_parameter_with_state":
        return ((args) => args[0]) as PyCallable;
      case "torch._tensor._rebuild_from_type":
      case "torch._tensor._rebuild_from_type_v2":
        return ((args) => invoke(args[0], name.endsWith("v2") ? args[2] : args[1])) as PyCallable;
      case "torch.Size":
        return ((args) => args.length ? [...(args[0] as unknown[])] : []) as PyCallable;
      default:
        return undefined;
    }
  };
}

function storageFromPid(
  pid: unknown,
  storages: Map<string, TorchStorage>,
  fail: (p: string) => never,
): TorchStorage {
  if (!Array.isArray(pid) || pid[0] !== "storage") {
    return fail(`it refers to an external object ${describePy(pid)} that is not a storage`);
  }
  const [, type, key, location] = pid;
  if (!(type instanceof StorageType)) {
    const what = type instanceof PyGlobal ? type.qualname : describePy(type);
    return fail(`it holds tensors of storage type ${what}, which fitlam cannot read`);
  }
  const k = String(key);
  let s = storages.get(k);
  if (!s) {
    s = new TorchStorage(k, type.dtype, type.itemSize, String(location));
    storages.set(k, s);
  }
  return s;
}

function readZip(data: Uint8Array, fail: (p: string) => never): TorchCheckpoint {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data);
  } catch (e) {
    return fail(`it looks like a zip file but cannot be unzipped (${(e as Error).message})`);
  }
  const names = Object.keys(files);
  const pkl = names.find((n) => /^([^/]*\/)?data\.pkl$/.test(n));
  if (!pkl) {
    return fail(
      `it is a zip file without data.pkl, so not a PyTorch checkpoint (it holds ${
        names.slice(0, 5).join(", ") || "nothing"
      }${names.length > 5 ? ", ..." : ""})`,
    );
  }
  const prefix = pkl.slice(0, -"data.pkl".length);
  const order = files[`${prefix}byteorder`];
  if (order && new TextDecoder().decode(order).trim() === "big") {
    fail("it was saved on a big-endian machine; load and re-save it on a little-endian one");
  }
  const storages = new Map<string, TorchStorage>();
  const { value } = unpickle(files[pkl], {
    label: pkl,
    globals: torchGlobals(fail),
    persistentLoad: (pid) => storageFromPid(pid, storages, fail),
  });
  for (const s of storages.values()) {
    const bytes = files[`${prefix}data/${s.key}`];
    if (!bytes) fail(`storage ${s.key} is missing from the archive (${prefix}data/${s.key})`);
    s.bytes = bytes;
  }
  return { format: "zip", value };
}

function readLegacy(data: Uint8Array, fail: (p: string) => never): TorchCheckpoint {
  let pos = 0;
  const next = (what: string, opts: Parameters<typeof unpickle>[1] = {}) => {
    const r = unpickle(data, { ...opts, offset: pos, label: what });
    pos = r.end;
    return r.value;
  };
  const magic = next("the magic number");
  if (magic !== LEGACY_MAGIC) {
    return fail(
      `it is a Python pickle holding ${
        describePy(magic)
      }, not a PyTorch checkpoint (no torch.save magic number)`,
    );
  }
  const protocol = next("the protocol version");
  if (protocol !== LEGACY_PROTOCOL) {
    fail(`its legacy format version is ${String(protocol)}, not ${LEGACY_PROTOCOL}`);
  }
  const sysInfo = next("the system info");
  if (sysInfo instanceof Map && sysInfo.get("little_endian") === false) {
    fail("it was saved on a big-endian machine; load and re-save it on a little-endian one");
  }
  const storages = new Map<string, TorchStorage>();
  const value = next("the saved object", {
    globals: torchGlobals(fail),
    persistentLoad: (pid) => {
      if (Array.isArray(pid) && pid[0] === "module") return pid[1];
      const root = storageFromPid(pid, storages, fail);
      const view = (pid as unknown[])[5];
      if (!Array.isArray(view)) return root;
      const [viewKey, offset, numel] = view;
      const k = String(viewKey);
      let s = storages.get(k);
      if (!s) {
        s = new TorchStorage(k, root.dtype, root.itemSize, root.location);
        s.viewOf = { root, offset: Number(offset), numel: Number(numel) };
        storages.set(k, s);
      }
      return s;
    },
  });
  const keys = next("the storage key list");
  if (!Array.isArray(keys)) fail(`its storage key list is ${describePy(keys)}`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const key of keys as unknown[]) {
    const s = storages.get(String(key));
    if (!s) fail(`its data section lists storage ${String(key)}, which no tensor uses`);
    if (pos + 8 > data.length) fail(`the file ends before storage ${String(key)}`);
    const numel = Number(view.getBigInt64(pos, true));
    const end = pos + 8 + numel * s!.itemSize;
    if (numel < 0 || end > data.length) {
      fail(`the file ends inside storage ${String(key)} (truncated download?)`);
    }
    s!.bytes = data.subarray(pos + 8, end);
    pos = end;
  }
  for (const s of storages.values()) {
    if (!s.viewOf && !s.bytes) fail(`storage ${s.key} has no data in the file`);
  }
  return { format: "legacy", value };
}

/**
 * Parses a `torch.save` file (zip or legacy format). Nothing in it is
 * executed: classes other than tensors, storages and plain containers come
 * back as {@linkcode PyObject}s.
 *
 * @example
 * ```ts ignore
 * import { readTorchCheckpoint, TorchTensor } from "./torch_checkpoint.ts";
 * const { format, value } = readTorchCheckpoint(await Deno.readFile("lstm_fwd.pth"));
 * const sd = value as Map<string, TorchTensor>;
 * console.log(format, sd.get("0.encoder.weight")?.shape);
 * ```
 */
export function readTorchCheckpoint(
  data: Uint8Array,
  opts: ReadCheckpointOptions = {},
): TorchCheckpoint {
  const prefix = opts.errorPrefix ?? "Cannot read the checkpoint";
  const fail = (problem: string): never => {
    throw new Error(`${prefix}: ${problem}`);
  };
  const head = (n: number) => data.subarray(0, n);
  if (data.length < 4) return fail(`it is only ${data.length} bytes long`);
  if (head(4).every((b, i) => b === [0x50, 0x4b, 0x03, 0x04][i])) {
    return wrapPickleErrors(() => readZip(data, fail), fail);
  }
  if (data[0] === 0x1f && data[1] === 0x8b) {
    return fail(
      "it is gzip-compressed (a .tgz download?); extract it first, e.g. `tar xzf wt103-fwd.tgz`",
    );
  }
  if (data.length > 262 && new TextDecoder().decode(data.subarray(257, 262)) === "ustar") {
    return fail("it is a tar archive; extract it first (`tar xf FILE`) and import the .pth inside");
  }
  if (data[0] === 0x80) return wrapPickleErrors(() => readLegacy(data, fail), fail);
  return fail(
    "it is not a PyTorch checkpoint (it starts with neither a zip header nor a pickle); " +
      "pass the .pth or .h5 file that torch.save wrote",
  );
}

function wrapPickleErrors(
  read: () => TorchCheckpoint,
  fail: (p: string) => never,
): TorchCheckpoint {
  try {
    return read();
  } catch (e) {
    if ((e as Error).name === "PickleError") {
      const { label, problem, offset } = e as { label: string; problem: string; offset: number };
      return fail(
        `its pickled data is damaged or of an unknown kind (${label}: ${problem} at byte ${offset})`,
      );
    }
    throw e;
  }
}
