/**
 * HEAD answers with the GET response's real Content-Length.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";

/**
 * Hono answers HEAD by running the GET handler and dropping the body, which
 * leaves the length unstated (so it reads as 0); this buffers that body and
 * states its length, as HTTP asks of a HEAD response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { headLength } from "./head_length.ts";
 * const app = new Hono().use(headLength()).get("/", (c) => c.text("hello"));
 * const res = await app.request("/", { method: "HEAD" });
 * assert.equal(res.headers.get("content-length"), "5");
 * assert.equal(await res.text(), "");
 * ```
 */
export function headLength() {
  return createMiddleware(async (c, next) => {
    await next();
    if (c.req.method !== "HEAD" || !c.res.body || c.res.headers.has("content-length")) return;
    const bytes = new Uint8Array(await c.res.arrayBuffer());
    const res = new Response(bytes, c.res);
    res.headers.set("content-length", String(bytes.length));
    c.res = undefined;
    c.res = res;
  });
}
