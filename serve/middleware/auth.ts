/**
 * Bearer-key check with a constant-time comparison.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors.ts";

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

/**
 * Compares two strings in time independent of where they differ: both are
 * hashed first, so lengths do not leak either.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timingSafeEqual } from "./auth.ts";
 * assert.ok(await timingSafeEqual("k1", "k1"));
 * assert.equal(await timingSafeEqual("k1", "k2"), false);
 * ```
 */
export async function timingSafeEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/**
 * Requires `Authorization: Bearer <apiKey>`; answers 401 otherwise.
 *
 * @example
 * ```ts ignore
 * app.use("/v1/*", bearerKey("secret"));
 * ```
 */
export function bearerKey(apiKey: string) {
  return createMiddleware(async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const unauthorized = (state: string) =>
      new ApiError(
        401,
        "unauthorized",
        `Cannot authorize request: ${state}; send the header Authorization: Bearer <key>`,
        { "WWW-Authenticate": 'Bearer realm="fitlam"' },
      );
    if (!match) throw unauthorized("no bearer key was sent");
    if (!(await timingSafeEqual(match[1].trim(), apiKey))) {
      throw unauthorized("the bearer key is wrong");
    }
    await next();
  });
}
