/**
 * The one error shape every route answers with:
 * `{"error": {"code": "...", "message": "..."}}`.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * A client-facing error: the status, a stable machine code, and a message
 * that names the problem and the fix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ApiError } from "./errors.ts";
 * const e = new ApiError(400, "missing_text", "Cannot classify: no text; send {\"text\": \"...\"}");
 * assert.equal(e.status, 400);
 * assert.equal(e.code, "missing_text");
 * ```
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/**
 * Writes `err` as the JSON error body.
 *
 * @example
 * ```ts ignore
 * app.onError((err, c) => err instanceof ApiError ? errorResponse(c, err) : ...);
 * ```
 */
export function errorResponse(c: Context, err: ApiError): Response {
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json({ error: { code: err.code, message: err.message } }, err.status);
}
