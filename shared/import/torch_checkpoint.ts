/**
 * Reads PyTorch checkpoints (`torch.save` files) without Python: the zip
 * format of torch ≥ 1.6 (`<name>/data.pkl` plus one `<name>/data/<key>` entry
 * per storage) and the legacy format before it (pickles of the magic number,
 * the protocol version and the system info, then the object, then the list
 * of storage keys, then each storage's element count and raw bytes). Tensors
 * come back as `TorchTensor`s (`torch_tensor.ts`) that know their storage,
 * offset and strides, and turn into contiguous Float32Arrays on request.
 *
 * @module
 */
import { unzipSync } from "fflate";
import { describePy, type PyCallable, PyGlobal, PyObject, unpickle } from "./pickle.ts";
import { STORAGE_TYPES, StorageType, TorchStorage, TorchTensor } from "./torch_tensor.ts";

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
 * import { readTorchCheckpoint } from "./torch_checkpoint.ts";
 * import { TorchTensor } from "./torch_tensor.ts";
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
