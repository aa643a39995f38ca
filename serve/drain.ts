/**
 * Graceful drain: once started, new requests are refused with 503
 * `shutting_down`, every request already in the handler is answered, and
 * every response says `Connection: close` so clients stop reusing their
 * connections before the listener closes.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";
import { ApiError, errorResponse } from "./errors.ts";

/** What {@linkcode Drain.drain} reports. */
export interface DrainResult {
  /** Requests in the handler when the drain started. */
  inFlight: number;
  /** Of those, how many were still running at the bound (answered 503 `shutting_down`). */
  cutOff: number;
}

/**
 * Counts requests in flight and drains them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { Drain } from "./drain.ts";
 * const drain = new Drain();
 * const app = new Hono().use(drain.middleware()).get("/", (c) => c.text("hi"));
 * assert.equal((await app.request("/")).status, 200);
 * assert.deepEqual(await drain.drain(1000, 0), { inFlight: 0, cutOff: 0 });
 * const late = await app.request("/");
 * assert.equal(late.status, 503);
 * assert.equal(late.headers.get("connection"), "close");
 * ```
 */
export class Drain {
  #inFlight = 0;
  #draining = false;
  #bound = new AbortController();
  #onStart: (() => void)[] = [];
  #changed: () => void = () => {};

  /** True once {@linkcode Drain.drain} was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Aborts when the drain's bound passes: handlers still running answer 503 then. */
  get signal(): AbortSignal {
    return this.#bound.signal;
  }

  /** Calls `fn` when the drain starts (e.g. to stop waiting for a batch window). */
  onStart(fn: () => void): void {
    this.#onStart.push(fn);
  }

  /** Refuses requests that arrive during the drain; counts the others while they run. */
  middleware() {
    return createMiddleware(async (c, next) => {
      if (this.#draining) {
        c.header("Connection", "close");
        if (c.req.path === "/healthz") return c.json({ status: "draining" }, 503);
        return errorResponse(
          c,
          new ApiError(
            503,
            "shutting_down",
            "Cannot serve request: the server is shutting down; retry (another instance " +
              "or this one after its restart)",
            { "Retry-After": "1" },
          ),
        );
      }
      this.#inFlight++;
      try {
        await next();
      } finally {
        this.#inFlight--;
        this.#changed();
        // Set after the handler too: a client must not reuse a connection that is about to close.
        if (this.#draining) c.header("Connection", "close");
      }
    });
  }

  /**
   * Starts draining and resolves once no request is in flight, plus `graceMs`
   * in which requests on connections that were idle are still refused with a
   * 503 rather than cut off, or at `boundMs`, when requests still running are
   * answered 503.
   */
  async drain(boundMs: number, graceMs = 200): Promise<DrainResult> {
    this.#draining = true;
    const inFlight = this.#inFlight;
    for (const fn of this.#onStart) fn();
    const end = performance.now() + boundMs;
    while (this.#inFlight > 0 && performance.now() < end) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(1, end - performance.now()));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#changed = done;
      });
      this.#changed = () => {};
    }
    if (this.#inFlight === 0) {
      await new Promise((r) => setTimeout(r, Math.min(graceMs, end - performance.now())));
      return { inFlight, cutOff: 0 };
    }
    const cutOff = this.#inFlight;
    this.#bound.abort(new DOMException("the drain bound passed", "AbortError"));
    // Let the handlers that were cut off write their 503 (one still reading a body may not).
    for (let i = 0; i < 200 && this.#inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    return { inFlight, cutOff };
  }
}
