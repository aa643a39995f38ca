/**
 * A small Python unpickler: the opcodes of pickle protocols 0–5 that data
 * files use (PyTorch checkpoints, pickled lists and dicts), without running
 * any Python. Python values become plain JavaScript values:
 *
 * | Python            | JavaScript                                          |
 * | ----------------- | --------------------------------------------------- |
 * | `None`            | `null`                                              |
 * | `bool`, `float`   | `boolean`, `number`                                 |
 * | `int`             | `number` (`bigint` beyond ±2^53)                    |
 * | `str`             | `string`                                            |
 * | `bytes`           | `Uint8Array`                                        |
 * | `list`, `tuple`   | `Array`                                             |
 * | `dict`            | `Map` (also `collections.OrderedDict`)              |
 * | `set`, `frozenset`| `Set`                                               |
 * | a class/function  | what `globals` returns for it, else a {@linkcode PyGlobal} |
 * | an instance       | what calling that returns, else a {@linkcode PyObject} |
 *
 * Unknown classes are never an error: their instances are recorded as
 * {@linkcode PyObject}s (class, arguments, state), so a file can be read even
 * where parts of it are of no interest, and nothing in it can execute.
 *
 * @module
 */

/**
 * A Python global (`module.name`) with no JavaScript counterpart.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PyGlobal } from "./pickle.ts";
 * assert.equal(new PyGlobal("numpy", "dtype").qualname, "numpy.dtype");
 * ```
 */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  /** `module.name`. */
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An instance of a class the unpickler does not know: how it was made and
 * what was stored in it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PyGlobal, PyObject } from "./pickle.ts";
 * const o = new PyObject(new PyGlobal("fastai.text", "Vocab"), []);
 * assert.equal(o.cls.name, "Vocab");
 * assert.equal(o.state, undefined);
 * ```
 */
export class PyObject {
  /** Argument of BUILD (`__setstate__`), usually a `Map` of attributes. */
  state: unknown = undefined;
  /** Items added by APPEND(S), for list subclasses. */
  readonly items: unknown[] = [];
  /** Entries added by SETITEM(S), for dict subclasses. */
  readonly entries = new Map<unknown, unknown>();
  constructor(readonly cls: PyGlobal, readonly args: unknown[]) {}
}

/** A callable global: receives the positional arguments of the call. */
export type PyCallable = (args: unknown[]) => unknown;

/** Options of {@linkcode unpickle}. */
export interface UnpickleOptions {
  /** Where to start reading (default 0). */
  offset?: number;
  /** Names the data in errors, e.g. the file name (default "the data"). */
  label?: string;
  /**
   * Resolves `module.name` globals: return a {@linkcode PyCallable} to have
   * REDUCE/NEWOBJ call it, any other value to push that value, or undefined
   * for the built-in resolution (`collections.OrderedDict`, `builtins.set`,
   * ...; otherwise a {@linkcode PyGlobal}).
   */
  globals?: (module: string, name: string) => unknown;
  /** Turns a persistent id (BINPERSID, PERSID) into an object. */
  persistentLoad?: (pid: unknown) => unknown;
}

/** What {@linkcode unpickle} returns. */
export interface Unpickled {
  value: unknown;
  /** Offset just past the STOP opcode: where a following pickle starts. */
  end: number;
}

const OP_NAMES: Record<number, string> = {
  0x28: "MARK",
  0x2e: "STOP",
  0x30: "POP",
  0x31: "POP_MARK",
  0x32: "DUP",
  0x46: "FLOAT",
  0x49: "INT",
  0x4a: "BININT",
  0x4b: "BININT1",
  0x4c: "LONG",
  0x4d: "BININT2",
  0x4e: "NONE",
  0x50: "PERSID",
  0x51: "BINPERSID",
  0x52: "REDUCE",
  0x53: "STRING",
  0x54: "BINSTRING",
  0x55: "SHORT_BINSTRING",
  0x56: "UNICODE",
  0x58: "BINUNICODE",
  0x61: "APPEND",
  0x62: "BUILD",
  0x63: "GLOBAL",
  0x64: "DICT",
  0x7d: "EMPTY_DICT",
  0x65: "APPENDS",
  0x67: "GET",
  0x68: "BINGET",
  0x69: "INST",
  0x6a: "LONG_BINGET",
  0x6c: "LIST",
  0x5d: "EMPTY_LIST",
  0x6f: "OBJ",
  0x70: "PUT",
  0x71: "BINPUT",
  0x72: "LONG_BINPUT",
  0x73: "SETITEM",
  0x74: "TUPLE",
  0x29: "EMPTY_TUPLE",
  0x75: "SETITEMS",
  0x47: "BINFLOAT",
  0x80: "PROTO",
  0x81: "NEWOBJ",
  0x82: "EXT1",
  0x83: "EXT2",
  0x84: "EXT4",
  0x85: "TUPLE1",
  0x86: "TUPLE2",
  0x87: "TUPLE3",
  0x88: "NEWTRUE",
  0x89: "NEWFALSE",
  0x8a: "LONG1",
  0x8b: "LONG4",
  0x42: "BINBYTES",
  0x43: "SHORT_BINBYTES",
  0x8c: "SHORT_BINUNICODE",
  0x8d: "BINUNICODE8",
  0x8e: "BINBYTES8",
  0x8f: "EMPTY_SET",
  0x90: "ADDITEMS",
  0x91: "FROZENSET",
  0x92: "NEWOBJ_EX",
  0x93: "STACK_GLOBAL",
  0x94: "MEMOIZE",
  0x95: "FRAME",
  0x96: "BYTEARRAY8",
  0x97: "NEXT_BUFFER",
  0x98: "READONLY_BUFFER",
};

const utf8 = new TextDecoder("utf-8");

/** Python 2 module names that Python 3 renamed (as pickle's fix_imports). */
const PY2_MODULES: Record<string, string> = { __builtin__: "builtins", copy_reg: "copyreg" };

/** The built-in resolution of globals that plain data pickles use. */
function builtinGlobal(module: string, name: string): unknown {
  const q = `${PY2_MODULES[module] ?? module}.${name}`;
  switch (q) {
    case "collections.OrderedDict":
    case "builtins.dict":
      return ((args) =>
        new Map(args.length ? (args[0] as Iterable<[unknown, unknown]>) : [])) as PyCallable;
    case "builtins.list":
    case "builtins.tuple":
      return ((args) => args.length ? [...(args[0] as Iterable<unknown>)] : []) as PyCallable;
    case "builtins.set":
    case "builtins.frozenset":
      return ((args) => new Set(args.length ? (args[0] as Iterable<unknown>) : [])) as PyCallable;
    case "builtins.bytearray":
    case "builtins.bytes":
      return ((args) => toBytes(args)) as PyCallable;
    case "_codecs.encode":
      // Protocol ≤ 2 writes bytes as _codecs.encode(str, "latin1").
      return ((args) => toBytes(args)) as PyCallable;
    default:
      return undefined;
  }
}

function toBytes(args: unknown[]): Uint8Array {
  const v = args[0];
  if (v instanceof Uint8Array) return v.slice();
  if (typeof v === "string") return Uint8Array.from(v, (ch) => ch.charCodeAt(0) & 0xff);
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  return new Uint8Array(0);
}

/**
 * Plain-language kind of an unpickled value, for error messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describePy } from "./pickle.ts";
 * assert.equal(describePy(["a", "b"]), "a list of 2");
 * assert.equal(describePy(null), "None");
 * ```
 */
export function describePy(v: unknown): string {
  if (v === null) return "None";
  if (v === undefined) return "nothing";
  if (typeof v === "string") return "a str";
  if (typeof v === "number") return Number.isInteger(v) ? "an int" : "a float";
  if (typeof v === "bigint") return "an int";
  if (typeof v === "boolean") return "a bool";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Map) return `a dict of ${v.size} entries`;
  if (v instanceof Set) return "a set";
  if (v instanceof PyObject) return `a ${v.cls.qualname} object`;
  if (v instanceof PyGlobal) return `the class ${v.qualname}`;
  const name = (v as { constructor?: { name?: string } }).constructor?.name;
  return name ? `a ${name}` : typeof v;
}

/**
 * The error {@linkcode unpickle} throws: "Cannot unpickle <label>: <problem>
 * at byte <n>", with the parts kept for callers that rephrase it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PickleError, unpickle } from "./pickle.ts";
 * assert.throws(
 *   () => unpickle(new Uint8Array([0x80, 2]), { label: "x.pkl" }),
 *   (e) => e instanceof PickleError && e.offset === 2,
 * );
 * ```
 */
export class PickleError extends Error {
  constructor(readonly label: string, readonly problem: string, readonly offset: number) {
    super(`Cannot unpickle ${label}: ${problem} at byte ${offset}`);
    this.name = "PickleError";
  }
}

/**
 * Reads one pickle from `data` (up to and including its STOP opcode).
 * Errors read "Cannot unpickle <label>: <problem> at byte <n>".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unpickle } from "./pickle.ts";
 * // pickle.dumps(["a", 1], protocol=2)
 * const bytes = new Uint8Array([
 *   0x80, 2, 0x5d, 0x71, 0, 0x28, 0x58, 1, 0, 0, 0, 0x61, 0x71, 1, 0x4b, 1, 0x65, 0x2e,
 * ]);
 * const { value, end } = unpickle(bytes);
 * assert.equal(JSON.stringify(value), '["a",1]');
 * assert.equal(end, bytes.length);
 * ```
 */
export function unpickle(data: Uint8Array, opts: UnpickleOptions = {}): Unpickled {
  const label = opts.label ?? "the data";
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = opts.offset ?? 0;
  let opPos = pos;
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();

  const fail = (problem: string): never => {
    throw new PickleError(label, problem, opPos);
  };
  const need = (n: number) => {
    if (pos + n > data.length) {
      fail(`the data ends in the middle of ${OP_NAMES[data[opPos]] ?? "an opcode"}`);
    }
  };
  const u8 = () => (need(1), data[pos++]);
  const u16 = () => (need(2), pos += 2, view.getUint16(pos - 2, true));
  const u32 = () => (need(4), pos += 4, view.getUint32(pos - 4, true));
  const i32 = () => (need(4), pos += 4, view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const bytes = (n: number) => (need(n), pos += n, data.subarray(pos - n, pos));
  const line = () => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) fail("a text opcode has no end of line");
    const s = utf8.decode(data.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop =
    () => (stack.length <= (marks.at(-1) ?? 0) ? fail("the stack is empty") : stack.pop());
  const top = () => (stack.length === 0 ? fail("the stack is empty") : stack[stack.length - 1]);
  const popMark = (): unknown[] => {
    const m = marks.pop();
    if (m === undefined) fail("there is no MARK to pop to");
    return stack.splice(m!);
  };
  const resolve = (module: string, name: string): unknown => {
    const custom = opts.globals?.(module, name);
    if (custom !== undefined) return custom;
    return builtinGlobal(module, name) ?? new PyGlobal(PY2_MODULES[module] ?? module, name);
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    if (typeof fn === "function") return (fn as PyCallable)(args);
    if (fn instanceof PyGlobal) return new PyObject(fn, args);
    return fail(`cannot call ${describePy(fn)}`);
  };
  const memoGet = (i: number) => memo.has(i) ? memo.get(i) : fail(`memo entry ${i} is missing`);
  const setItems = (target: unknown, kv: unknown[]) => {
    const dict = target instanceof Map
      ? target
      : target instanceof PyObject
      ? target.entries
      : null;
    if (!dict) fail(`cannot set items on ${describePy(target)}`);
    for (let i = 0; i + 1 < kv.length; i += 2) dict!.set(kv[i], kv[i + 1]);
  };
  const appendItems = (target: unknown, items: unknown[]) => {
    if (Array.isArray(target)) { for (const x of items) target.push(x); }
    else if (target instanceof PyObject) target.items.push(...items);
    else if (target instanceof Set) { for (const x of items) target.add(x); }
    else fail(`cannot append to ${describePy(target)}`);
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };
  const textInt = (s: string): number | bigint => {
    const t = s.replace(/L$/, "");
    if (!/^[-+]?\d+$/.test(t)) fail(`"${s}" is not an integer`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  };

  for (;;) {
    opPos = pos;
    if (pos >= data.length) fail("the data ends before the STOP opcode");
    const op = data[pos++];
    switch (op) {
      case 0x80: { // PROTO
        const p = u8();
        if (p > 5) fail(`pickle protocol ${p} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length prefix for buffering; the data follows inline.
        u64();
        break;
      case 0x2e: // STOP
        return { value: top(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      // Constants and numbers.
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(i32());
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a:
        stack.push(long(bytes(u8())));
        break;
      case 0x8b: {
        const n = i32();
        if (n < 0) fail("LONG4 has a negative length");
        stack.push(long(bytes(n)));
        break;
      }
      case 0x47: // BINFLOAT: big-endian float64.
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x49: { // INT (text; "01"/"00" are True/False)
        const s = line();
        stack.push(s === "01" ? true : s === "00" ? false : textInt(s));
        break;
      }
      case 0x4c: // LONG (text)
        stack.push(textInt(line()));
        break;
      case 0x46: { // FLOAT (text)
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) fail(`"${s}" is not a float`);
        stack.push(v);
        break;
      }
      // Strings and bytes.
      case 0x58:
        stack.push(utf8.decode(bytes(u32())));
        break;
      case 0x8c:
        stack.push(utf8.decode(bytes(u8())));
        break;
      case 0x8d:
        stack.push(utf8.decode(bytes(u64())));
        break;
      case 0x54: { // BINSTRING (Python 2 str), decoded as UTF-8 like torch.load.
        const n = i32();
        if (n < 0) fail("BINSTRING has a negative length");
        stack.push(utf8.decode(bytes(n)));
        break;
      }
      case 0x55:
        stack.push(utf8.decode(bytes(u8())));
        break;
      case 0x42:
        stack.push(bytes(u32()).slice());
        break;
      case 0x43:
        stack.push(bytes(u8()).slice());
        break;
      case 0x8e:
      case 0x96:
        stack.push(bytes(u64()).slice());
        break;
      // Containers.
      case 0x5d:
        stack.push([]);
        break;
      case 0x29:
        stack.push([]);
        break;
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x8f:
        stack.push(new Set());
        break;
      case 0x6c: // LIST
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop(), a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        const c = pop(), b = pop(), a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x64: { // DICT
        const kv = popMark();
        const d = new Map();
        setItems(d, kv);
        stack.push(d);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new Set(popMark()));
        break;
      case 0x61: { // APPEND
        const x = pop();
        appendItems(top(), [x]);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: { // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop(), k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: { // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      // Memo.
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x70:
        memo.set(Number(textInt(line())), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
        stack.push(memoGet(u8()));
        break;
      case 0x6a:
        stack.push(memoGet(u32()));
        break;
      case 0x67:
        stack.push(memoGet(Number(textInt(line()))));
        break;
      // Classes, calls and objects.
      case 0x63: { // GLOBAL
        const module = line();
        stack.push(resolve(module, line()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop(), module = pop();
        if (typeof module !== "string" || typeof name !== "string") {
          fail("STACK_GLOBAL needs a module and a name");
        }
        stack.push(resolve(module as string, name as string));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!Array.isArray(args)) fail("REDUCE needs a tuple of arguments");
        stack.push(call(fn, args as unknown[]));
        break;
      }
      case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) fail("NEWOBJ needs a tuple of arguments");
        stack.push(call(cls, args as unknown[]));
        break;
      }
      case 0x92: { // NEWOBJ_EX (keyword arguments are dropped)
        pop();
        const args = pop();
        const cls = pop();
        if (!Array.isArray(args)) fail("NEWOBJ_EX needs a tuple of arguments");
        stack.push(call(cls, args as unknown[]));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (!items.length) fail("OBJ needs a class");
        stack.push(call(items[0], items.slice(1)));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const cls = resolve(module, line());
        stack.push(call(cls, popMark()));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        // Attributes of dicts and known objects (an OrderedDict's _metadata) are of no use here.
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) fail("it refers to external data (a persistent id)");
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) fail("it refers to external data (a persistent id)");
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      default: {
        const name = OP_NAMES[op];
        fail(
          name
            ? `opcode ${name} is not supported`
            : `byte 0x${op.toString(16).padStart(2, "0")} is not a pickle opcode`,
        );
      }
    }
  }
}
