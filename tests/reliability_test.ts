/**
 * The server process under stress, end to end on loopback: SIGTERM under load
 * (every request accepted before the signal is answered, later ones get a 503
 * envelope, exit 0), health and model info answering while a large request
 * computes, and hostile connections (slow headers, a half-sent body, more
 * connections than the cap, a flood of idle ones at a low open-file limit).
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";
import { startServer } from "./server_process.ts";

const MAIN = new URL("../serve/main.ts", import.meta.url).pathname;
const weights = await makeTestWeights(["fwd", "bwd"]);

/** `deno task serve` on the test weights, with these extra flags. */
function serveWeights(flags: string[]) {
  return startServer(Deno.execPath(), ["run", "-A", MAIN, "--weights", weights, ...flags]);
}

function classify(base: string, text: string): Promise<Response> {
  return fetch(`${base}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
}

Deno.test("SIGTERM: every queued request is answered 200, then the server exits 0", async () => {
  // A one-minute batch window holds the requests in the queue until the drain flushes it.
  const server = await serveWeights([
    "--batch-window-ms",
    "60000",
    "--max-batch",
    "1000",
  ]);
  const n = 40;
  const requests = Array.from(
    { length: n },
    (_, i) => classify(server.base, "meeting at noon cheap pills ".repeat(1 + i % 7)),
  );
  let queued = 0;
  while (queued < n) {
    await new Promise((r) => setTimeout(r, 20));
    queued = (await (await fetch(`${server.base}/healthz`)).json()).queue.requests;
  }
  const exit = server.stop();
  const responses = await Promise.all(requests);
  for (const res of responses) {
    assert.equal(res.status, 200);
    assert.equal((await res.json()).results.length, 1);
  }
  const { code, stdout } = await exit;
  assert.equal(code, 0);
  assert.match(stdout, new RegExp(`\\{"drained":${n},"cutOff":0\\}`));
});

Deno.test("SIGTERM under continuous load: no request is cut off after it was sent", async () => {
  const server = await serveWeights([]);
  const outcomes: string[] = [];
  // Each client sends until the server refuses it; a refusal must be the 503 envelope.
  const client = async (i: number) => {
    while (true) {
      try {
        const res = await classify(server.base, "win a free cruise ".repeat(1 + i % 9));
        const body = await res.json();
        outcomes.push(res.status === 200 ? "200" : `${res.status} ${body.error?.code}`);
        if (res.status !== 200) return;
      } catch (e) {
        const why = String((e as Error).cause ?? e);
        // A connection refused once the listener closed was never accepted; anything else was.
        outcomes.push(/Connect\)|Connection refused/.test(why) ? "refused" : `lost: ${why}`);
        return;
      }
    }
  };
  const clients = Array.from({ length: 32 }, (_, i) => client(i));
  while (outcomes.length < 64) await new Promise((r) => setTimeout(r, 20));
  const exit = await server.stop();
  await Promise.all(clients);
  assert.equal(exit.code, 0);
  const lost = outcomes.filter((o) => o.startsWith("lost"));
  assert.deepEqual(lost, []);
  assert.ok(outcomes.every((o) => ["200", "503 shutting_down", "refused"].includes(o)));
});

Deno.test("a slow body is answered 408 body_timeout, not held open", async () => {
  const server = await serveWeights([
    "--body-timeout-ms",
    "300",
  ]);
  const { hostname, port } = new URL(server.base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(
    "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      'Content-Length: 100\r\n\r\n{"text": ',
  ));
  const answer = new TextDecoder().decode((await conn.readable.getReader().read()).value);
  conn.close();
  assert.match(answer, /^HTTP\/1\.1 408/);
  assert.match(answer, /"code":"body_timeout"/);
  assert.equal((await server.stop()).code, 0);
});

/** Opens a connection and writes `text` on it. */
async function open(base: string, text: string): Promise<Deno.Conn> {
  const { hostname, port } = new URL(base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  await conn.write(new TextEncoder().encode(text));
  return conn;
}

/** Reads until the server closes (or resets) the connection; gives up after `limitMs`. */
async function readAll(conn: Deno.Conn, limitMs = 10_000): Promise<string> {
  const timer = setTimeout(() => conn.close(), limitMs);
  const buf = new Uint8Array(16384);
  let text = "";
  try {
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
  } catch { /* reset by the server, or closed by the timer */ }
  clearTimeout(timer);
  return text;
}

const HEALTH = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";

/** Sends GET /healthz on an open keep-alive connection and reads the answer's status line. */
async function healthOn(conn: Deno.Conn): Promise<string> {
  await conn.write(new TextEncoder().encode(HEALTH));
  const buf = new Uint8Array(16384);
  const n = await conn.read(buf);
  return new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0];
}

Deno.test("slow headers: 408 header_timeout and the connection closes; a cut body is 400", async () => {
  const server = await serveWeights([
    "--header-timeout-ms",
    "300",
  ]);
  const started = performance.now();
  const slow = await readAll(
    await open(server.base, "POST /v1/classify HTTP/1.1\r\nHost: x\r\nCont"),
  );
  const ms = performance.now() - started;
  assert.match(slow, /^HTTP\/1\.1 408 /);
  assert.match(slow, /"code":"header_timeout"/);
  assert.ok(ms < 5_000, `closed after ${Math.round(ms)} ms`);
  // Half a body, then a half-close: the client still gets its answer.
  const conn = await open(
    server.base,
    "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      'Content-Length: 100\r\n\r\n{"text": "hi',
  );
  await conn.closeWrite();
  const cut = await readAll(conn);
  assert.match(cut, /^HTTP\/1\.1 400 /);
  assert.match(cut, /"code":"body_incomplete"/);
  assert.equal((await server.stop()).code, 0);
});

Deno.test("beyond --max-connections a new connection gets 503 and closes; open ones keep answering", async () => {
  const server = await serveWeights([
    "--max-connections",
    "4",
  ]);
  const keep = await open(server.base, "");
  assert.equal(await healthOn(keep), "HTTP/1.1 200 OK");
  // Three half-sent requests fill the cap.
  const idle = await Promise.all([1, 2, 3].map(() => open(server.base, "GET / HTTP/1.1\r\nHo")));
  const refused = await readAll(await open(server.base, HEALTH), 5_000);
  assert.match(refused, /^HTTP\/1\.1 503 [^]*retry-after: 1[^]*"code":"too_many_connections"/i);
  assert.equal(await healthOn(keep), "HTTP/1.1 200 OK");
  for (const conn of [keep, ...idle]) conn.close();
  const exit = await server.stop();
  assert.equal(exit.code, 0);
});

Deno.test("ulimit -n 256: 1,000 idle connections do not end the server; it answers after", async () => {
  const bash =
    `ulimit -n 256 && exec "${Deno.execPath()}" run -A "${MAIN}" --weights "${weights}" ` +
    '--header-timeout-ms 1000 --idle-timeout-ms 60000 "$@"';
  const server = await startServer("bash", ["-c", bash, "serve"]);
  const keep = await open(server.base, "");
  assert.equal(await healthOn(keep), "HTTP/1.1 200 OK");
  const conns: Deno.Conn[] = [];
  let failed = 0;
  for (let i = 0; i < 1000; i++) {
    // A connect the server's backlog cannot take yet may hang: give each one a second.
    const attempt = open(server.base, "GET / HTTP/1.1\r\nHo");
    const conn = await Promise.race([attempt, new Promise<null>((r) => setTimeout(r, 1000, null))])
      .catch(() => null);
    if (conn) conns.push(conn);
    else {
      failed++;
      attempt.then((c) => c.close(), () => {});
    }
  }
  assert.ok(conns.length > 500, `${conns.length} connected, ${failed} did not`);
  assert.equal(await healthOn(keep), "HTTP/1.1 200 OK");
  for (const conn of conns) conn.close();
  keep.close();
  // A new client is answered: the listener still accepts.
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      const res = await fetch(`${server.base}/healthz`, { signal: AbortSignal.timeout(2000) });
      status = res.status;
      await res.body?.cancel();
    } catch { /* still at the cap */ }
  }
  assert.equal(status, 200);
  const exit = await server.stop();
  assert.equal(exit.code, 0);
  assert.doesNotMatch(exit.stderr, /Too many open files/);
});

Deno.test("/healthz and /v1/model answer while a large request computes", async () => {
  const server = await serveWeights([]);
  // Ten texts of 100,000 characters: about a second of model time for the test weights.
  const texts = Array.from({ length: 10 }, (_, i) => `${i} ` + "meeting at noon ".repeat(6_000));
  let done = false;
  const big = fetch(`${server.base}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ texts }),
  }).then(async (res) => {
    done = true;
    return { status: res.status, body: await res.json() };
  });
  let answeredWhileComputing = 0;
  while (!done) {
    const health = await (await fetch(`${server.base}/healthz`)).json();
    const model = await fetch(`${server.base}/v1/model`);
    await model.body?.cancel();
    if (health.computing === 10 && model.status === 200 && !done) answeredWhileComputing++;
  }
  const { status, body } = await big;
  assert.equal(status, 200);
  assert.equal(body.results.length, 10);
  assert.ok(answeredWhileComputing >= 2, `answered ${answeredWhileComputing} times meanwhile`);
  assert.equal((await server.stop()).code, 0);
  await Deno.remove(weights, { recursive: true });
});
