/**
 * The unpickler's state: the bytes and the read position, the stack with its marks, the memo,
 * and the operations opcodes share (reading numbers and lines, popping to a mark, calling a
 * global, adding items). Every failure is a {@linkcode PickleError} at the current opcode.
 *
 * @module
 */
import {
  builtinGlobal,
  describePy,
  PY2_MODULES,
  type PyCallable,
  PyGlobal,
  PyObject,
} from "./pickle_values.ts";

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

/** Names of the opcodes that errors name (a truncated or unsupported opcode). */
export const OP_NAMES: Record<number, string> = {
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

export const utf8: TextDecoder = new TextDecoder("utf-8");

/** A Python int from its little-endian two's-complement bytes: a number, or a bigint past ±2^53. */
export function long(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/** The stack machine one {@linkcode unpickle} call runs. */
export class PickleMachine {
  readonly view: DataView;
  pos: number;
  /** Where the opcode being run starts (errors name it). */
  opPos: number;
  readonly stack: unknown[] = [];
  readonly marks: number[] = [];
  readonly memo = new Map<number, unknown>();

  constructor(readonly data: Uint8Array, readonly opts: UnpickleOptions) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = this.opPos = opts.offset ?? 0;
  }

  fail(problem: string): never {
    throw new PickleError(this.opts.label ?? "the data", problem, this.opPos);
  }

  need(n: number): void {
    if (this.pos + n > this.data.length) {
      this.fail(`the data ends in the middle of ${OP_NAMES[this.data[this.opPos]] ?? "an opcode"}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.data[this.pos++];
  }

  u16(): number {
    this.need(2);
    this.pos += 2;
    return this.view.getUint16(this.pos - 2, true);
  }

  u32(): number {
    this.need(4);
    this.pos += 4;
    return this.view.getUint32(this.pos - 4, true);
  }

  i32(): number {
    this.need(4);
    this.pos += 4;
    return this.view.getInt32(this.pos - 4, true);
  }

  u64(): number {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`length ${v} is too large`);
    return Number(v);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    this.pos += n;
    return this.data.subarray(this.pos - n, this.pos);
  }

  line(): string {
    const nl = this.data.indexOf(0x0a, this.pos);
    if (nl < 0) this.fail("a text opcode has no end of line");
    const s = utf8.decode(this.data.subarray(this.pos, nl));
    this.pos = nl + 1;
    return s;
  }

  /** A text int (`I`, `L` opcodes; Python 2's trailing `L` allowed). */
  textInt(s: string): number | bigint {
    const t = s.replace(/L$/, "");
    if (!/^[-+]?\d+$/.test(t)) this.fail(`"${s}" is not an integer`);
    const v = BigInt(t);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }

  push(v: unknown): void {
    this.stack.push(v);
  }

  pop(): unknown {
    return this.stack.length <= (this.marks.at(-1) ?? 0)
      ? this.fail("the stack is empty")
      : this.stack.pop();
  }

  top(): unknown {
    return this.stack.length === 0 ? this.fail("the stack is empty") : this.stack.at(-1);
  }

  popMark(): unknown[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail("there is no MARK to pop to");
    return this.stack.splice(m);
  }

  memoGet(i: number): unknown {
    return this.memo.has(i) ? this.memo.get(i) : this.fail(`memo entry ${i} is missing`);
  }

  resolve(module: string, name: string): unknown {
    const custom = this.opts.globals?.(module, name);
    if (custom !== undefined) return custom;
    return builtinGlobal(module, name) ?? new PyGlobal(PY2_MODULES[module] ?? module, name);
  }

  call(fn: unknown, args: unknown[]): unknown {
    if (typeof fn === "function") return (fn as PyCallable)(args);
    if (fn instanceof PyGlobal) return new PyObject(fn, args);
    return this.fail(`cannot call ${describePy(fn)}`);
  }

  setItems(target: unknown, kv: unknown[]): void {
    const dict = target instanceof Map
      ? target
      : target instanceof PyObject
      ? target.entries
      : this.fail(`cannot set items on ${describePy(target)}`);
    for (let i = 0; i + 1 < kv.length; i += 2) dict.set(kv[i], kv[i + 1]);
  }

  appendItems(target: unknown, items: unknown[]): void {
    if (Array.isArray(target)) { for (const x of items) target.push(x); }
    else if (target instanceof PyObject) target.items.push(...items);
    else if (target instanceof Set) { for (const x of items) target.add(x); }
    else this.fail(`cannot append to ${describePy(target)}`);
  }

  /** Pushes what the persistent id `pid` stands for. */
  persistent(pid: unknown): void {
    if (!this.opts.persistentLoad) this.fail("it refers to external data (a persistent id)");
    this.push(this.opts.persistentLoad(pid));
  }
}
