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
  /** Of `ms`, how long its texts waited for the model. */
  queueMs?: number;
  /** Of `ms`, how long the model calls that computed its texts took. */
  computeMs?: number;
  /** Set for unexpected errors (message only, never the stack). */
  error?: string;
}

/** Variables a handler may set for the log. */
export type RequestLogEnv = {
  Variables: { batchSize?: number; queueMs?: number; computeMs?: number; error?: string };
};

/**
 * Calls `log` after every request with method, path, status, time and what
 * a handler recorded with `c.set(...)`: batch size, queue and compute ms.
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
    for (const key of ["batchSize", "queueMs", "computeMs"] as const) {
      const value = c.get(key);
      if (value !== undefined) entry[key] = value;
    }
    const error = c.get("error");
    if (error !== undefined) entry.error = error;
    // A failing logger must not turn a served request into an error.
    try {
      log(entry);
    } catch { /* ignored */ }
  });
}
