/**
 * The server's listener: Node's HTTP server (`node:http`, as Deno 2.9 provides
 * it) behind a web handler (`Request` → `Response`). Unlike `Deno.serve`, it
 * enforces a header timeout, an idle keep-alive timeout and a cap on open
 * connections, so idle or half-sent connections cannot exhaust the process's
 * file descriptors.
 *
 * @module
 */
import http from "node:http";
import type { Socket } from "node:net";
import { errorEnvelope, toRequest } from "./http_request.ts";

/** Connection limits; see `--help` of serve/cli.ts. */
export interface ConnectionLimits {
  /** A request's headers must all arrive within this many ms, else 408 and the connection closes. */
  headerTimeoutMs: number;
  /** A keep-alive connection with no request for this many ms is closed. */
  idleTimeoutMs: number;
  /**
   * A whole request (headers and body) must arrive within this many ms, else
   * 408; a backstop behind the app's own body timeout, so set it longer.
   */
  requestTimeoutMs: number;
  /**
   * Connections beyond this many open ones are answered 503 `too_many_connections`
   * (with `Retry-After`) without running the handler, and closed; beyond
   * {@linkcode REFUSAL_ROOM} more they are closed unanswered.
   */
  maxConnections: number;
  /** Connections the kernel holds until they are accepted (default {@linkcode BACKLOG}). */
  backlog?: number;
}

/**
 * Connections beyond the cap that still get a 503 before they close; past
 * these, Node closes new connections at once. Taken from the files reserved
 * beside the connection budget, so refusing never exhausts descriptors.
 */
export const REFUSAL_ROOM = 32;

/** How long a refused connection may take to send its request before it is cut. */
const REFUSAL_MS = 1000;

/** Connections the kernel holds until they are accepted, by default. */
export const BACKLOG = 64;

/** Options of {@linkcode listenHttp}. */
export interface ListenOptions extends ConnectionLimits {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
}

/** A web request handler. */
export type Handler = (request: Request) => Response | Promise<Response>;

/** What {@linkcode listenHttp} resolves to. */
export interface HttpListener {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port. */
  readonly port: number;
  /** Connections open now. */
  readonly connections: number;
  /**
   * Stops accepting, closes idle connections at once and the others when
   * their response is done, or at `graceMs` at the latest.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Listens on `hostname:port` and answers with `handler`. Rejects with the
 * listen error (its `code` is e.g. `EADDRINUSE`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenHttp } from "./http_listener.ts";
 * const listener = await listenHttp((req) => new Response(`hi ${new URL(req.url).pathname}`), {
 *   hostname: "127.0.0.1", port: 0, headerTimeoutMs: 1000, idleTimeoutMs: 1000,
 *   requestTimeoutMs: 5000, maxConnections: 10,
 * });
 * const res = await fetch(`http://127.0.0.1:${listener.port}/there`);
 * assert.equal(await res.text(), "hi /there");
 * await listener.close();
 * ```
 */
export function listenHttp(handler: Handler, options: ListenOptions): Promise<HttpListener> {
  const server = http.createServer({
    headersTimeout: options.headerTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.idleTimeoutMs,
    // Node checks the header and request timeouts only this often (30 s by default).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, options.headerTimeoutMs / 4)),
  });
  server.maxConnections = options.maxConnections + REFUSAL_ROOM;
  const refused = refuseBeyond(server, options.maxConnections);
  // Keep the answering side open after a client's FIN: a client that sends half a body and
  // half-closes then gets 400 body_incomplete rather than a silent close (see http_request.ts).
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const active = new WeakMap<Socket, http.ServerResponse>();
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    active.set(req.socket, res);
    res.on("close", () => active.delete(req.socket));
    if (refused.has(req.socket)) return void send(tooManyConnections(options), req, res);
    void answer(handler, req, res);
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Socket) => {
    refuseMalformed(err, socket, active.get(socket), options);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({
      host: options.hostname,
      port: options.port,
      backlog: options.backlog ?? BACKLOG,
    }, () => {
      server.off("error", reject);
      const { address, port } = server.address() as { address: string; port: number };
      resolve({
        hostname: address,
        port,
        get connections() {
          return (server as unknown as { _connections: number })._connections;
        },
        close: (graceMs = 1000) => closeServer(server, graceMs),
      });
    });
  });
}

/**
 * Marks connections accepted beyond `cap` open ones: their request is
 * answered 503 without the handler, and they are cut after {@linkcode REFUSAL_MS}
 * whether or not a request came.
 */
function refuseBeyond(server: http.Server, cap: number): WeakSet<Socket> {
  const refused = new WeakSet<Socket>();
  // Runs before Node's own listener, while the count includes this connection.
  server.prependListener("connection", (socket: Socket) => {
    if ((server as unknown as { _connections: number })._connections <= cap) return;
    refused.add(socket);
    setTimeout(() => socket.destroy(), REFUSAL_MS).unref();
  });
  return refused;
}

function tooManyConnections(limits: ConnectionLimits): Response {
  const response = errorEnvelope(
    503,
    "too_many_connections",
    `Cannot accept connection: ${limits.maxConnections} connections are open, the most this ` +
      "server takes; retry after a second or reuse an open connection",
  );
  response.headers.set("retry-after", "1");
  response.headers.set("connection", "close");
  return response;
}

/** Runs the handler on one request and writes its response. */
async function answer(
  handler: Handler,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const gone = new AbortController();
  // The client went before the answer was written: let the handler stop its work.
  res.on("close", () => {
    if (!res.writableFinished) gone.abort(new DOMException("the client went", "AbortError"));
  });
  let response: Response;
  try {
    const request = toRequest(req, gone);
    if (request instanceof Response) return void await send(request, req, res);
    response = await handler(request);
  } catch {
    response = errorEnvelope(
      500,
      "internal",
      "Cannot serve request: an internal error occurred; retry, and report it if it persists",
    );
  }
  await send(response, req, res);
}

/** Writes `response`, streaming its body with back-pressure. */
async function send(
  response: Response,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  if (res.destroyed) return void await response.body?.cancel().catch(() => {});
  res.statusCode = response.status;
  // A body left (partly) unread is still on the connection: close it rather than read it all.
  if (!req.complete) res.setHeader("connection", "close");
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel().catch(() => {});
    return void res.end();
  }
  const reader = response.body.getReader();
  try {
    const first = await reader.read();
    const second = first.done ? first : await reader.read();
    if (second.done) {
      // One chunk (every JSON and page this server sends): state its length, no chunked encoding.
      const bytes = first.value ?? new Uint8Array(0);
      if (!res.hasHeader("content-length")) res.setHeader("content-length", bytes.byteLength);
      return void res.end(bytes);
    }
    for (let chunk = first; !chunk.done; chunk = chunk === first ? second : await reader.read()) {
      if (!res.write(chunk.value)) await drained(res);
      if (res.destroyed) return void await reader.cancel().catch(() => {});
    }
    res.end();
  } catch {
    // The body stream failed mid-way: the client cannot get a whole answer, so cut it off.
    res.destroy();
    await reader.cancel().catch(() => {});
  }
}

function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Answers what Node's parser refused (timeouts, malformed requests) with the envelope, then closes. */
function refuseMalformed(
  err: Error & { code?: string },
  socket: Socket,
  res: http.ServerResponse | undefined,
  limits: ConnectionLimits,
): void {
  if (!socket.writable || res?.headersSent || err.code === "ECONNRESET") {
    return void socket.destroy();
  }
  const [status, code, message] = err.code === "ERR_HTTP_REQUEST_TIMEOUT"
    ? res
      ? [
        408,
        "request_timeout",
        `the request did not all arrive within ${limits.requestTimeoutMs} ms`,
      ]
      : [
        408,
        "header_timeout",
        `its headers did not all arrive within ${limits.headerTimeoutMs} ms`,
      ]
    : err.code === "HPE_HEADER_OVERFLOW"
    ? [431, "headers_too_large", "its headers are too large"]
    : [400, "malformed_request", "it is not valid HTTP/1.1"];
  const body = JSON.stringify({
    error: { code, message: `Cannot read request: ${message}; send the whole request at once` },
  });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${
        new TextEncoder().encode(body).byteLength
      }\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads must not keep the descriptor.
  setTimeout(() => socket.destroy(), 1000).unref();
}

async function closeServer(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() stops accepting; idle keep-alive connections need closing too, busy ones end after
  // their response (every response says Connection: close during the drain).
  server.closeIdleConnections();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, graceMs);
  });
  await Promise.race([closed, late]);
  clearTimeout(timer);
}

/**
 * Descriptors the process needs besides its connections (runtime, worker, weights files, about
 * 30 measured), plus a margin for the connections Node accepts in one burst before it closes
 * those beyond the cap (up to the backlog).
 */
export const RESERVED_FILES = 128;

/**
 * The soft limit on open files (`ulimit -n`) from /proc/self/limits, or
 * undefined where that cannot be read (not Linux, no read permission).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openFileLimit } from "./http_listener.ts";
 * const limit = openFileLimit();
 * assert.ok(limit === undefined || limit > 0);
 * ```
 */
export function openFileLimit(): number | undefined {
  try {
    const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return soft === "unlimited" ? Infinity : Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The most connections a file limit allows: the limit less the reserve and
 * the backlog. Beyond it, accepting fails with "too many open files", and
 * Deno 2.9's listener then stops accepting for good.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectionBudget } from "./http_listener.ts";
 * assert.equal(connectionBudget(1024, 64), 832);
 * assert.equal(connectionBudget(100, 64), 0);
 * ```
 */
export function connectionBudget(fileLimit: number, backlog: number): number {
  return Math.max(0, fileLimit - RESERVED_FILES - backlog);
}
