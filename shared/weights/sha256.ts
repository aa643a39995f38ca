/**
 * Hex SHA-256 digests, used to tie config.json to its weights and to report a
 * model's checksum.
 *
 * @module
 */

/**
 * The lowercase hex SHA-256 of `data` (strings are hashed as UTF-8).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sha256.ts";
 * const hex = await sha256Hex("abc");
 * assert.match(hex, /^ba7816bf/);
 * ```
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  // digest() wants an ArrayBuffer-backed view; copy only when given something else.
  const input = bytes.buffer instanceof ArrayBuffer
    ? bytes as Uint8Array<ArrayBuffer>
    : bytes.slice();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
