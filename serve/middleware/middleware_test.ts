import assert from "node:assert/strict";
import { Hono } from "hono";
import { ApiError, errorResponse } from "../errors.ts";
import { bearerKey, timingSafeEqual } from "./auth.ts";
import { jsonBody, readLimited } from "./json_body.ts";
import { type LogEntry, requestLog } from "./request_log.ts";

function harness() {
  const app = new Hono<{ Variables: { body: unknown } }>();
  app.onError((e, c) => e instanceof ApiError ? errorResponse(c, e) : c.text("bad", 500));
  return app;
}

Deno.test("timingSafeEqual compares keys of any length", async () => {
  assert.ok(await timingSafeEqual("abc", "abc"));
  assert.ok(!(await timingSafeEqual("abc", "abcd")));
  assert.ok(!(await timingSafeEqual("", "x")));
});

Deno.test("bearerKey accepts the key and rejects others with 401", async () => {
  const app = harness();
  app.use(bearerKey("k")).get("/", (c) => c.text("ok"));
  assert.equal((await app.request("/", { headers: { authorization: "Bearer k" } })).status, 200);
  const res = await app.request("/", { headers: { authorization: "Basic k" } });
  assert.equal(res.status, 401);
  assert.ok(res.headers.get("www-authenticate"));
});

Deno.test("readLimited returns the body within the limit and throws past it", async () => {
  const req = () => new Request("http://x", { method: "POST", body: "hello" });
  assert.equal((await readLimited(req(), 5)).length, 5);
  await assert.rejects(() => readLimited(req(), 4), (e: ApiError) => e.status === 413);
});

Deno.test("jsonBody parses JSON and accepts +json types with charset", async () => {
  const app = harness();
  app.post("/", jsonBody(100), (c) => c.json(c.get("body")));
  const res = await app.request("/", {
    method: "POST",
    headers: { "content-type": "application/vnd.x+json; charset=utf-8" },
    body: '{"a":1}',
  });
  assert.deepEqual(await res.json(), { a: 1 });
});

Deno.test("requestLog records status and batch size", async () => {
  const logs: LogEntry[] = [];
  const app = new Hono<{ Variables: { batchSize?: number } }>();
  app.use(requestLog((e) => logs.push(e)));
  app.get("/b", (c) => {
    c.set("batchSize", 3);
    return c.text("x", 201);
  });
  await (await app.request("/b")).text();
  assert.equal(logs[0].status, 201);
  assert.equal(logs[0].batchSize, 3);
});

Deno.test("readLimited: a body cut off mid-stream is a 400 naming the bytes, not a 500", async () => {
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('{"text": "only twenty'));
      else controller.error(new Error("connection closed before message completed"));
    },
  });
  const request = new Request("http://x", {
    method: "POST",
    body,
    headers: { "content-length": "100" },
  });
  const error = await readLimited(request, 1000).then(() => null, (e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 400);
  assert.equal(error.code, "body_incomplete");
  assert.match(error.message, /ended after 21 bytes of the 100 its Content-Length announced/);
});

Deno.test("readLimited: a body that stops arriving is a 408 after the timeout", async () => {
  let pulls = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      // One chunk, then nothing ever again: a slow-body client.
      if (pulls++ === 0) controller.enqueue(new TextEncoder().encode('{"text": '));
      else return new Promise(() => {});
    },
  });
  const request = new Request("http://x", { method: "POST", body });
  const error = await readLimited(request, 1000, 20).then(() => null, (e) => e);
  assert.ok(error instanceof ApiError);
  assert.equal(error.status, 408);
  assert.equal(error.code, "body_timeout");
  assert.match(error.message, /only 9 bytes arrived within 20 ms/);
});
