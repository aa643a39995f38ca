/**
 * Running fitlam's kernels where shared memory or threads are missing (edge
 * isolates, pages that are not cross-origin isolated). kernels.c is built
 * for a shared memory; on one thread it never waits or notifies, so the same
 * code runs on a plain memory once the module's memory import says so.
 *
 * @module
 */

/**
 * Whether kernels can run on several threads here: `SharedArrayBuffer` and
 * `Worker` must both exist (an isolate host may have neither).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { threadsSupported } from "./unshared.ts";
 * assert.equal(threadsSupported(), typeof Worker === "function");
 * ```
 */
export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === "function" && typeof Worker === "function";
}

function leb(d: Uint8Array, at: number): [number, number] {
  let value = 0, shift = 0;
  for (;;) {
    const b = d[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/**
 * A copy of the module `wasm` whose imported memory is not shared: the
 * memory import's limits flag 0x03 (shared, with maximum) becomes 0x01.
 * Atomic instructions stay valid on a plain memory; the kernels reach
 * wait/notify only with more than one thread.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unsharedModuleBytes } from "./unshared.ts";
 * // (module (import "env" "memory" (memory 1 2 shared)))
 * const wasm = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 2, 16, 1, 3, 101, 110, 118, 6,
 *   109, 101, 109, 111, 114, 121, 2, 3, 1, 2]);
 * const plain = unsharedModuleBytes(wasm);
 * assert.equal(plain[23], 1);
 * assert.ok(WebAssembly.validate(plain));
 * new WebAssembly.Instance(new WebAssembly.Module(plain), {
 *   env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 2 }) },
 * });
 * ```
 */
export function unsharedModuleBytes(wasm: Uint8Array): Uint8Array<ArrayBuffer> {
  const d = new Uint8Array(wasm);
  const text = new TextDecoder();
  let at = 8;
  while (at < d.length) {
    const id = d[at];
    const [size, body] = leb(d, at + 1);
    if (id === 2) {
      let [count, p] = leb(d, body);
      while (count-- > 0) {
        let len: number;
        [len, p] = leb(d, p);
        const module = text.decode(d.subarray(p, p + len));
        [len, p] = leb(d, p + len);
        const field = text.decode(d.subarray(p, p + len));
        p += len;
        const kind = d[p++];
        if (kind === 2 && module === "env" && field === "memory") {
          if (d[p] === 3) d[p] = 1;
          else if (d[p] === 2) d[p] = 0;
          return d;
        }
        if (kind === 0) { // a function: its type index
          [, p] = leb(d, p);
          continue;
        }
        if (kind !== 2) {
          throw new Error(
            `Cannot prepare the kernels for one thread: import ${module}.${field} is neither a function nor a memory; rebuild kernels.c with build.sh`,
          );
        }
      }
    }
    at = body + size;
  }
  throw new Error(
    "Cannot prepare the kernels for one thread: the module imports no env.memory; rebuild kernels.c with build.sh",
  );
}
