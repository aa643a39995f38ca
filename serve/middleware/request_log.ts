/**
 * One structured log entry per request.
 *
 * @module
 */
import { createMiddleware } from "hono/factory";

/** A request's log entry. */
export interface LogEntry {
  method: string;
  path: string;
  status: number;
  ms: number;
  /** Texts in the model call that served this request, when one ran. */
  batchSize?: number;
  /** Set for unexpected errors (message only, never the stack). */
  error?: string;
}

/** Variables a handler may set for the log. */
export type RequestLogEnv = { Variables: { batchSize?: number; error?: string } };

/**
 * Calls `log` after every request with method, path, status, time and the
 * batch size a handler recorded with `c.set("batchSize", n)`.
 *
 * @example
 * ```ts ignore
 * app.use(requestLog((e) => console.log(JSON.stringify(e))));
 * ```
 */
export function requestLog(log: (entry: LogEntry) => void) {
  return createMiddleware<RequestLogEnv>(async (c, next) => {
    const start = performance.now();
    await next();
    const entry: LogEntry = {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - start) * 100) / 100,
    };
    const batchSize = c.get("batchSize");
    if (batchSize !== undefined) entry.batchSize = batchSize;
    const error = c.get("error");
    if (error !== undefined) entry.error = error;
    // A failing logger must not turn a served request into an error.
    try {
      log(entry);
    } catch { /* ignored */ }
  });
}
