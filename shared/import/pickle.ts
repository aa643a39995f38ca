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

export { describePy, type PyCallable, PyGlobal, PyObject } from "./pickle_values.ts";
export { PickleError, type UnpickleOptions } from "./pickle_machine.ts";
import { OP_NAMES, PickleMachine, type UnpickleOptions } from "./pickle_machine.ts";
import { OPCODES } from "./pickle_opcodes.ts";

/** What {@linkcode unpickle} returns. */
export interface Unpickled {
  value: unknown;
  /** Offset just past the STOP opcode: where a following pickle starts. */
  end: number;
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
  const m: PickleMachine = new PickleMachine(data, opts);
  for (;;) {
    m.opPos = m.pos;
    if (m.pos >= data.length) m.fail("the data ends before the STOP opcode");
    const op = data[m.pos++];
    if (op === 0x2e) return { value: m.top(), end: m.pos }; // STOP
    const run = OPCODES.get(op);
    if (!run) {
      const name = OP_NAMES[op];
      m.fail(
        name
          ? `opcode ${name} is not supported`
          : `byte 0x${op.toString(16).padStart(2, "0")} is not a pickle opcode`,
      );
    }
    run(m);
  }
}
