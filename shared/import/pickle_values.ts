/**
 * The Python values an unpickled file holds that have no plain JavaScript counterpart
 * (classes, instances of unknown classes), the built-in resolution of the globals that plain
 * data pickles use, and their description in error messages.
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

/** Python 2 module names that Python 3 renamed (as pickle's fix_imports). */
export const PY2_MODULES: Record<string, string> = { __builtin__: "builtins", copy_reg: "copyreg" };

/** The built-in resolution of globals that plain data pickles use. */
export function builtinGlobal(module: string, name: string): unknown {
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
