/**
 * Whether a path exists, for the places that choose between a file and a fallback.
 *
 * @module
 */

/**
 * True when `path` exists (file or folder), false when it does not or cannot be seen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { exists } from "./exists.ts";
 * assert.equal(await exists(Deno.cwd()), true);
 * assert.equal(await exists(`${Deno.cwd()}/no such file`), false);
 * ```
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
