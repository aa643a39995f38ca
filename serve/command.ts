/**
 * How to run the server (`serve/main.ts`) as a process of its own, with the
 * permissions `deno task serve` gives it: for the tests and benchmarks that
 * start it.
 *
 * @module
 */

/** Path of the server's entry point. */
export const SERVE_MAIN: string = new URL("./main.ts", import.meta.url).pathname;

/**
 * `deno` arguments that run the server with its task's permissions and `flags`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SERVE_MAIN, serveArgs } from "./command.ts";
 * assert.deepEqual(serveArgs("--port", "0").slice(-3), [SERVE_MAIN, "--port", "0"]);
 * ```
 */
export function serveArgs(...flags: string[]): string[] {
  return [
    "run",
    "--allow-ffi",
    "--allow-read",
    "--allow-env",
    "--allow-net",
    "--allow-sys",
    SERVE_MAIN,
    ...flags,
  ];
}
