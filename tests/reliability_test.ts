/**
 * The server process under stress, end to end on loopback: SIGTERM under load
 * (every request accepted before the signal is answered, later ones get a 503
 * envelope, exit 0), and health and model info answering while a large
 * request computes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { makeTestWeights } from "../serve/test_weights.ts";
import { startServer } from "./server_process.ts";

const MAIN = new URL("../serve/main.ts", import.meta.url).pathname;
const weights = await makeTestWeights(["fwd", "bwd"]);

function classify(base: string, text: string): Promise<Response> {
  return fetch(`${base}/v1/classify`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text }),
  });
}

Deno.test("SIGTERM: every queued request is answered 200, then the server exits 0", async () => {
  // A one-minute batch window holds the requests in the queue until the drain flushes it.
  const server = await startServer(Deno.execPath(), [
    "run",
    "-A",
    MAIN,
    "--weights",
    weights,
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
  const server = await startServer(Deno.execPath(), ["run", "-A", MAIN, "--weights", weights]);
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
  const server = await startServer(Deno.execPath(), [
    "run",
    "-A",
    MAIN,
    "--weights",
    weights,
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

Deno.test("/healthz and /v1/model answer while a large request computes", async () => {
  const server = await startServer(Deno.execPath(), ["run", "-A", MAIN, "--weights", weights]);
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
