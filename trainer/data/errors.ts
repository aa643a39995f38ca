/**
 * Error messages for malformed input, in the project's
 * `Cannot <action>: <state>` form, always naming the file and line.
 *
 * @module
 */

/**
 * Builds the error for a bad row: `Cannot read <path>:<line>: <detail>`.
 * `detail` should say what was expected and, where one exists, the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rowError } from "./errors.ts";
 * const e = rowError("data/x.csv", 17, "expected 3 fields, found 2");
 * assert.equal(e.message, "Cannot read data/x.csv:17: expected 3 fields, found 2");
 * ```
 */
export function rowError(path: string, line: number, detail: string): Error {
  return new Error(`Cannot read ${path}:${line}: ${detail}`);
}
