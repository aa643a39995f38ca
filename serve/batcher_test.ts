import assert from "node:assert/strict";
import { Batcher } from "./batcher.ts";

function recorder() {
  const calls: string[][] = [];
  const fn = (texts: string[]) => {
    calls.push(texts);
    return Promise.resolve(texts.map((t) => new Float32Array([t.length, 1])));
  };
  return { calls, fn };
}

Deno.test("Batcher joins concurrent requests into one call and splits in order", async () => {
  const { calls, fn } = recorder();
  const b = new Batcher(fn, { windowMs: 5, maxBatch: 100 });
  const [a, c] = await Promise.all([b.run(["x", "yy"]), b.run(["zzz"])]);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0], ["x", "yy", "zzz"]);
  assert.deepEqual(a.probs.map((p) => p[0]), [1, 2]);
  assert.deepEqual(c.probs.map((p) => p[0]), [3]);
  assert.equal(a.batchSize, 3);
});

Deno.test("Batcher flushes at once when maxBatch texts wait", async () => {
  const { calls, fn } = recorder();
  const b = new Batcher(fn, { windowMs: 60_000, maxBatch: 2 });
  const r = await Promise.all([b.run(["a"]), b.run(["b"])]);
  assert.equal(calls.length, 1);
  assert.equal(r[1].probs[0][0], 1);
});

Deno.test("Batcher with windowMs 0 calls once per request", async () => {
  const { calls, fn } = recorder();
  const b = new Batcher(fn, { windowMs: 0, maxBatch: 32 });
  await Promise.all([b.run(["a"]), b.run(["b"])]);
  assert.equal(calls.length, 2);
});

Deno.test("Batcher rejects every request of a failed call", async () => {
  const b = new Batcher(() => Promise.reject(new Error("boom")), { windowMs: 1, maxBatch: 8 });
  const r = await Promise.allSettled([b.run(["a"]), b.run(["b"])]);
  assert.ok(r.every((x) => x.status === "rejected"));
});
