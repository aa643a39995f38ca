import assert from "node:assert/strict";
import { Batcher, Overloaded } from "./batcher.ts";

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

/** A model call that waits until `release()` is called, to hold the batcher busy. */
function gated() {
  const calls: string[][] = [];
  let open!: () => void;
  let gate = new Promise<void>((r) => open = r);
  const fn = async (texts: string[]) => {
    calls.push(texts);
    await gate;
    return texts.map((t) => new Float32Array([t.length]));
  };
  const release = () => {
    open();
    gate = new Promise<void>((r) => open = r);
  };
  return { calls, fn, release };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("pickByLength keeps the oldest text and pads least", async (t) => {
  const { pickByLength } = await import("./batcher.ts");
  await t.step("everything fits", () => assert.deepEqual(pickByLength([5, 1, 9], 4), [0, 1, 2]));
  await t.step("long oldest goes with the long ones", () => {
    assert.deepEqual(pickByLength([900, 10, 1000, 12, 950], 3), [0, 2, 4]);
  });
  await t.step("a middle length takes its nearest neighbours", () => {
    assert.deepEqual(pickByLength([50, 10, 48, 1000, 52, 11], 3), [0, 2, 4]);
  });
});

Deno.test("Batcher runs one call at a time and batches by length what waited meanwhile", async () => {
  const { calls, fn, release } = gated();
  const b = new Batcher(fn, { windowMs: 0.001, maxBatch: 2 });
  const first = b.run(["first"]);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(calls.length, 1);
  const later = [b.run(["a"]), b.run(["x".repeat(50)]), b.run(["bb"]), b.run(["y".repeat(60)])];
  await tick();
  assert.equal(calls.length, 1, "no second call while the first computes");
  release();
  await first;
  await tick();
  release();
  await tick();
  release();
  await Promise.all(later);
  // The oldest waiting text ("a") went with the other short one, then the two long ones.
  assert.deepEqual(calls.slice(1), [["a", "bb"], ["x".repeat(50), "y".repeat(60)]]);
});

Deno.test("Batcher refuses beyond maxQueueChars with Overloaded, but always admits into an empty queue", async () => {
  const { fn, release } = gated();
  const b = new Batcher(fn, { windowMs: 0.001, maxBatch: 8, maxQueueChars: 10 });
  const running = b.run(["x".repeat(100)]); // an empty queue admits even an oversized request
  await new Promise((r) => setTimeout(r, 5));
  const waiting = b.run(["12345678"]); // queue was empty again: the first one is computing
  assert.deepEqual(b.queued, { texts: 1, chars: 8, requests: 1 });
  await assert.rejects(b.run(["abc"]), (e: unknown) => {
    assert.ok(e instanceof Overloaded);
    assert.equal(e.queuedChars, 8);
    assert.ok(e.retryAfterS >= 1 && e.retryAfterS <= 60);
    return true;
  });
  release();
  await running;
  await tick();
  release();
  await waiting;
});

Deno.test("Batcher drops a queued request whose signal aborts, and reports queue and compute time", async () => {
  const { calls, fn, release } = gated();
  const b = new Batcher(fn, { windowMs: 0.001, maxBatch: 8 });
  const running = b.run(["first"]);
  await new Promise((r) => setTimeout(r, 5));
  const gone = new AbortController();
  const abandoned = b.run(["gone"], gone.signal);
  const kept = b.run(["kept"]);
  gone.abort(new Error("client went away"));
  await assert.rejects(abandoned, /client went away/);
  assert.deepEqual(b.queued, { texts: 1, chars: 4, requests: 1 });
  release();
  const r = await running;
  assert.ok(r.queueMs >= 0 && r.computeMs >= 0);
  await tick();
  release();
  const k = await kept;
  assert.deepEqual(calls[1], ["kept"], "the abandoned text was never computed");
  assert.ok(k.queueMs > 0, "it waited for the first call");
});

Deno.test("Batcher.flush stops waiting for the window", async () => {
  const { calls, fn } = recorder();
  const b = new Batcher(fn, { windowMs: 60_000, maxBatch: 100 });
  const p = b.run(["a"]);
  await tick();
  assert.equal(calls.length, 0);
  b.flush();
  await p;
  assert.equal(calls.length, 1);
});
