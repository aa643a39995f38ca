/**
 * A Node request (`http.IncomingMessage`) as a web `Request`: headers, URL,
 * a streamed body with back-pressure, and a signal that aborts when the
 * client goes.
 *
 * @module
 */
import type http from "node:http";

/** The error a request body stream fails with when the client ends the connection mid-body. */
export class BodyCutOff extends Error {
  constructor(readonly received: number) {
    super(`Cannot read request body: the connection ended after ${received} bytes`);
    this.name = "BodyCutOff";
  }
}

/**
 * Builds the web `Request` for `req`, or a 400 response when its URL or
 * headers cannot form one. `gone` is aborted when the client ends the
 * connection after its whole request (it no longer waits for the answer);
 * the caller aborts it too when the connection closes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PassThrough } from "node:stream";
 * import type http from "node:http";
 * import { toRequest } from "./http_request.ts";
 * // A stand-in for Node's IncomingMessage: a readable stream with the parsed request line.
 * const socket = new PassThrough();
 * const req = Object.assign(new PassThrough(), {
 *   method: "POST", url: "/v1/classify?x=1", socket, complete: false,
 *   rawHeaders: ["Host", "example.test", "Content-Type", "application/json"],
 * });
 * const request = toRequest(req as unknown as http.IncomingMessage, new AbortController());
 * assert.ok(request instanceof Request);
 * assert.equal(request.url, "http://example.test/v1/classify?x=1");
 * req.end('{"text": "hi"}');
 * assert.equal(await request.text(), '{"text": "hi"}');
 * ```
 */
export function toRequest(req: http.IncomingMessage, gone: AbortController): Request | Response {
  const headers = new Headers();
  try {
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    }
  } catch {
    return badRequest("a header value is not valid");
  }
  const url = requestUrl(req.url ?? "/", headers.get("host") ?? "localhost");
  if (url === undefined) return badRequest("its URL or Host header is not valid");
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  // Deno.serve treated a client's FIN after its request as the client going: keep that meaning,
  // so queued work of a client that gave up is cancelled. A FIN mid-body cuts the body instead.
  const onEnd = () => {
    if (req.complete || !hasBody) gone.abort(new DOMException("the client went", "AbortError"));
  };
  req.socket.on("end", onEnd);
  gone.signal.addEventListener("abort", () => req.socket.off("end", onEnd), { once: true });
  req.on("close", () => req.socket.off("end", onEnd));
  return new Request(url, {
    method,
    headers,
    body: hasBody ? bodyStream(req) : undefined,
    signal: gone.signal,
    // @ts-ignore: Deno's RequestInit knows duplex (a streamed body) but the DOM types may not.
    duplex: "half",
  });
}

function requestUrl(target: string, host: string): URL | undefined {
  try {
    // Origin-form ("/path") joins the Host; "//x" stays a path, as it does under Deno.serve.
    return new URL(target.startsWith("/") ? `http://${host}${target}` : target);
  } catch {
    return undefined;
  }
}

function badRequest(why: string): Response {
  return errorEnvelope(
    400,
    "malformed_request",
    `Cannot read request: ${why}; send a valid HTTP/1.1 request`,
  );
}

/** A JSON error response in the app's envelope (serve/errors.ts). */
export function errorEnvelope(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

/**
 * The body as a byte stream that asks Node for more only when read (a slow
 * reader pauses the socket), and fails with {@linkcode BodyCutOff} when the
 * client ends the connection before the body's end.
 */
function bodyStream(req: http.IncomingMessage): ReadableStream<Uint8Array> {
  let received = 0;
  let settled = false;
  let cut = () => {};
  const detach = () => {
    settled = true;
    req.socket.off("end", cut);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      cut = () => {
        // A FIN right after the whole body: the parser has it all, Node emits it when read.
        if (settled || req.complete) return;
        detach();
        controller.error(new BodyCutOff(received));
      };
      req.on("data", (chunk: Uint8Array) => {
        if (settled) return;
        received += chunk.byteLength;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.on("end", () => {
        if (settled) return;
        detach();
        controller.close();
      });
      // "aborted": the connection closed mid-body (without the half-open socket staying).
      req.on("aborted", cut);
      req.on("error", cut);
      req.socket.on("end", cut);
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      // The reader gave up (body too large or too slow): read no more. The response closes the
      // connection (see http_listener.ts), since the rest of the body is still on it.
      detach();
      req.pause();
    },
  }, { highWaterMark: 64 * 1024, size: (chunk) => chunk.byteLength });
}
