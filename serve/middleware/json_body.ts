/**
 * Reads a JSON request body safely: content type, a byte limit enforced both
 * from Content-Length and while streaming, strict UTF-8, then JSON.parse.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors.ts";

/** Variables this middleware sets on the context. */
export type JsonBodyEnv = { Variables: { body: unknown } };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * Reads at most `maxBytes` bytes of `request`'s body, stopping (and
 * cancelling the stream) as soon as the limit is passed, or when the whole
 * body has not arrived within `timeoutMs` (a slow client must not hold a
 * request open for ever).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLimited } from "./json_body.ts";
 * const bytes = await readLimited(new Request("http://x", { method: "POST", body: "hi" }), 10);
 * assert.equal(bytes.length, 2);
 * ```
 */
export async function readLimited(
  request: Request,
  maxBytes: number,
  timeoutMs = Infinity,
): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timedOut = false;
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => {
      timedOut = true;
      reader.cancel().catch(() => {});
    }, timeoutMs)
    : undefined;
  while (true) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      clearTimeout(timer);
      // The client closed or broke the connection mid-body (e.g. fewer bytes than its
      // Content-Length, then a half-close): a client error, not a server fault.
      throw timedOut ? slow(total, timeoutMs) : incomplete(total, declared);
    }
    if (timedOut) throw slow(total, timeoutMs);
    const { done, value } = chunk;
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      clearTimeout(timer);
      // Stop reading: a client must not make us buffer an unbounded body.
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  clearTimeout(timer);
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function incomplete(received: number, declared: string | null): ApiError {
  return new ApiError(
    400,
    "body_incomplete",
    `Cannot read request body: the connection ended after ${received} bytes` +
      (declared === null ? "" : ` of the ${declared} its Content-Length announced`) +
      "; send the whole body",
  );
}

function slow(received: number, timeoutMs: number): ApiError {
  return new ApiError(
    408,
    "body_timeout",
    `Cannot read request body: only ${received} bytes arrived within ${timeoutMs} ms; ` +
      "send the whole body at once",
  );
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    413,
    "body_too_large",
    `Cannot read request body: it is larger than the limit of ${maxBytes} bytes; send fewer or shorter texts`,
  );
}

/**
 * Parses the request body as JSON into `c.get("body")`, answering 415, 413,
 * 408 (not all there within `timeoutMs`) or 400 with a clear message when it cannot.
 *
 * @example
 * ```ts ignore
 * app.post("/v1/classify", jsonBody(1 << 20), (c) => c.json(c.get("body")));
 * ```
 */
export function jsonBody(maxBytes: number, timeoutMs = Infinity) {
  return createMiddleware<JsonBodyEnv>(async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!JSON_TYPE.test(type)) {
      throw new ApiError(
        415,
        "unsupported_media_type",
        `Cannot read request body: content type is ${
          type ? JSON.stringify(type) : "missing"
        }; send Content-Type: application/json`,
      );
    }
    const bytes = await readLimited(c.req.raw, maxBytes, timeoutMs);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ApiError(
        400,
        "invalid_utf8",
        "Cannot read request body: it is not valid UTF-8; encode the JSON as UTF-8",
      );
    }
    try {
      c.set("body", JSON.parse(text));
    } catch (e) {
      throw new ApiError(
        400,
        "malformed_json",
        `Cannot parse request body: it is not valid JSON (${
          (e as Error).message
        }); send e.g. {"text": "..."}`,
      );
    }
    await next();
  });
}
