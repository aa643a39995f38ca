/**
 * The API key from `FITLAM_API_KEY`, the one environment variable the
 * servers read.
 *
 * @module
 */

/** The variable that holds the API key. */
export const API_KEY_VAR = "FITLAM_API_KEY";

/**
 * The key, trimmed (a key pasted with a trailing newline would otherwise
 * lock every client out: header values cannot end in whitespace), and
 * whether trimming changed it. Without permission to read the variable
 * (an edge deployment that grants none) there is no key, and no prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiKeyFromEnv } from "./api_key.ts";
 * const { key } = apiKeyFromEnv({ get: () => " secret\n", allowed: true });
 * assert.equal(key, "secret");
 * assert.equal(apiKeyFromEnv({ get: () => "x", allowed: false }).key, undefined);
 * ```
 */
export function apiKeyFromEnv(
  env: { get(name: string): string | undefined; allowed: boolean } = denoEnv(),
): { key?: string; trimmed: boolean } {
  if (!env.allowed) return { trimmed: false };
  const raw = env.get(API_KEY_VAR) ?? "";
  const key = raw.trim() || undefined;
  return { key, trimmed: key !== undefined && key !== raw };
}

function denoEnv(): { get(name: string): string | undefined; allowed: boolean } {
  const state = Deno.permissions.querySync({ name: "env", variable: API_KEY_VAR }).state;
  return { get: (name) => Deno.env.get(name), allowed: state === "granted" };
}
