import assert from "node:assert/strict";
import { type Handler, type HttpListener, listenHttp } from "./http_listener.ts";
import { BodyCutOff } from "./http_request.ts";

const LIMITS = {
  hostname: "127.0.0.1",
  port: 0,
  headerTimeoutMs: 300,
  idleTimeoutMs: 300,
  requestTimeoutMs: 5_000,
  maxConnections: 20,
};

async function withListener(
  handler: Handler,
  fn: (l: HttpListener) => Promise<void>,
  limits: Partial<typeof LIMITS> = {},
): Promise<void> {
  const listener = await listenHttp(handler, { ...LIMITS, ...limits });
  try {
    await fn(listener);
  } finally {
    await listener.close(100);
  }
}

/** Writes `request` on a new connection (half-closing after it if asked) and reads until EOF. */
async function raw(
  port: number,
  request: string,
  options: { halfClose?: boolean; pauseMs?: number } = {},
): Promise<{ text: string; ms: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const started = performance.now();
  await conn.write(new TextEncoder().encode(request));
  if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
  if (options.halfClose) await conn.closeWrite();
  const text = await readToEnd(conn);
  return { text, ms: performance.now() - started };
}

async function readToEnd(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(65536);
  let text = "";
  const timer = setTimeout(() => conn.close(), 10_000);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch { /* reset or closed by the timer */ }
  clearTimeout(timer);
  try {
    conn.close();
  } catch { /* closed already */ }
  return text;
}

const echo: Handler = async (req) => {
  try {
    const body = req.body ? await req.text() : "";
    const url = new URL(req.url);
    return new Response(`${req.method} ${url.pathname}${url.search} ${body}`, {
      headers: { "x-length": String(body.length) },
    });
  } catch (e) {
    const cut = e instanceof BodyCutOff;
    return Response.json({ error: { code: cut ? "body_incomplete" : "other" } }, { status: 400 });
  }
};

Deno.test("listener: GET, a chunked POST streamed to the handler, HEAD without a body", async () => {
  await withListener(echo, async ({ port }) => {
    const get = await fetch(`http://127.0.0.1:${port}//a/b?x=1`);
    assert.equal(await get.text(), "GET //a/b?x=1 ");
    const chunks = ["he", "llo"];
    const post = await fetch(`http://127.0.0.1:${port}/p`, {
      method: "POST",
      body: new ReadableStream({
        pull(c) {
          const next = chunks.shift();
          if (next === undefined) c.close();
          else c.enqueue(new TextEncoder().encode(next));
        },
      }),
    });
    assert.equal(await post.text(), "POST /p hello");
    const head = await raw(port, "HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(head.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head.text, /x-length: 0/i);
    assert.ok(head.text.endsWith("\r\n\r\n"), "HEAD answers headers only");
  });
});

Deno.test("listener: a body cut off by a half-close fails the read; the answer still arrives", async () => {
  await withListener(echo, async ({ port }) => {
    const cut = await raw(
      port,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + "x".repeat(20),
      { halfClose: true, pauseMs: 50 },
    );
    assert.match(cut.text, /^HTTP\/1\.1 400 /);
    assert.match(cut.text, /"body_incomplete"/);
    // The whole body, then a half-close: answered normally.
    const whole = await raw(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", {
      halfClose: true,
    });
    assert.match(whole.text, /^HTTP\/1\.1 200 [^]*POST \/ hello$/);
  });
});

Deno.test("listener: Request.signal aborts when the client goes", async () => {
  let aborted: () => void;
  const sawAbort = new Promise<void>((r) => aborted = r);
  const handler: Handler = (req) =>
    new Promise((resolve) => {
      req.signal.addEventListener("abort", () => {
        aborted();
        resolve(new Response("late"));
      });
    });
  await withListener(handler, async ({ port }) => {
    const client = new AbortController();
    const res = fetch(`http://127.0.0.1:${port}/`, { signal: client.signal });
    await new Promise((r) => setTimeout(r, 100));
    client.abort();
    await assert.rejects(res);
    await sawAbort;
  });
});

Deno.test("listener: slow headers get 408 header_timeout; idle keep-alive connections close", async () => {
  await withListener(echo, async ({ port }) => {
    const slow = await raw(port, "GET / HTTP/1.1\r\nHo");
    assert.match(slow.text, /^HTTP\/1\.1 408 /);
    assert.match(slow.text, /"code":"header_timeout"/);
    assert.ok(slow.ms < 5_000, `closed after ${slow.ms} ms`);
    const silent = await raw(port, "");
    assert.match(silent.text, /^HTTP\/1\.1 408 /);
    // A whole request, then nothing: answered, then closed once idle.
    const idle = await raw(port, "GET /i HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(idle.text, /^HTTP\/1\.1 200 [^]*GET \/i $/);
    assert.ok(idle.ms < 5_000, `idle connection closed after ${idle.ms} ms`);
  });
});

Deno.test("listener: malformed requests get a 400 envelope", async () => {
  await withListener(echo, async ({ port }) => {
    const garbage = await raw(port, "HELLO\r\n\r\n");
    assert.match(garbage.text, /^HTTP\/1\.1 400 [^]*"code":"malformed_request"/);
  });
});

Deno.test("listener: connections beyond the cap get 503 with Retry-After, not the handler; open ones keep being answered", async () => {
  await withListener(echo, async ({ port }) => {
    const held = await Promise.all(
      Array.from({ length: 3 }, () => Deno.connect({ hostname: "127.0.0.1", port })),
    );
    await held[0].write(new TextEncoder().encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"));
    const buf = new Uint8Array(4096);
    assert.ok((await held[0].read(buf))! > 0);
    const extra = await raw(port, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(
      extra.text,
      /^HTTP\/1\.1 503 [^]*retry-after: 1[^]*"code":"too_many_connections"/i,
    );
    assert.doesNotMatch(extra.text, /GET \/b/, "the handler did not run");
    // A connection within the cap still gets answers.
    await held[0].write(new TextEncoder().encode("GET /c HTTP/1.1\r\nHost: x\r\n\r\n"));
    const n = await held[0].read(buf);
    assert.match(new TextDecoder().decode(buf.subarray(0, n!)), /GET \/c/);
    for (const c of held) c.close();
  }, { maxConnections: 3, headerTimeoutMs: 5_000, idleTimeoutMs: 5_000 });
});

Deno.test("listener: a body the handler stops reading closes the connection after the answer", async () => {
  const handler: Handler = async (req) => {
    const reader = req.body!.getReader();
    await reader.read();
    await reader.cancel();
    return new Response("too large", { status: 413 });
  };
  await withListener(handler, async ({ port }) => {
    const answer = await raw(
      port,
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(1000),
    );
    assert.match(answer.text, /^HTTP\/1\.1 413 [^]*connection: close[^]*too large$/i);
  });
});

Deno.test("listener: a handler that throws is a 500 envelope; close() ends idle connections", async () => {
  const listener = await listenHttp(() => {
    throw new Error("boom");
  }, { ...LIMITS, idleTimeoutMs: 60_000 });
  const res = await fetch(`http://127.0.0.1:${listener.port}/`);
  assert.equal(res.status, 500);
  assert.equal((await res.json()).error.code, "internal");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.port });
  await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const started = performance.now();
  const reading = readToEnd(conn);
  await new Promise((r) => setTimeout(r, 100));
  await listener.close(2_000);
  assert.match(await reading, /^HTTP\/1\.1 500 /);
  assert.ok(performance.now() - started < 5_000);
});
