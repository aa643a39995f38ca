import assert from "node:assert/strict";
import { type Classifier, loadClassifier } from "../shared/pipeline.ts";
import { createApp } from "./app.ts";
import { Drain } from "./drain.ts";
import type { LogEntry } from "./middleware/request_log.ts";
import { errorOf, post } from "./test_http.ts";
import { makeTestWeights } from "./test_weights.ts";

// Admission control, deadlines, cancellation and the drain, through the app.

const dir = await makeTestWeights(["fwd"]);
const clf = await loadClassifier(dir);

/**
 * A classifier whose model calls wait until `release()`, to hold the queue full; `began(n)`
 * settles once n calls are computing, `started` once the first is.
 */
function slowClassifier() {
  let open!: () => void;
  let gate = new Promise<void>((r) => open = r);
  let calls = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  /** Settles once `n` model calls have begun. */
  const began = (n: number) =>
    calls >= n ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ n, resolve }));
  const slow: Classifier = {
    ...clf,
    info: clf.info,
    probabilities: async (texts) => {
      calls++;
      for (const w of waiting.filter((w) => w.n <= calls)) w.resolve();
      await gate;
      return clf.probabilities(texts);
    },
  };
  const release = () => {
    open();
    gate = new Promise<void>((r) => open = r);
  };
  return { slow, release, began, started: began(1) };
}

/** Polls `read` until `ok` holds (a loaded machine may take a while; 10 s at most). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let waited = 0;; waited += 5) {
    const v = await read();
    if (ok(v) || waited >= 10_000) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("a full queue answers 503 overloaded with Retry-After; the log has queue and compute ms", async () => {
  const { slow, release, began, started } = slowClassifier();
  const logs: LogEntry[] = [];
  const a = createApp(slow, { maxQueueChars: 20, batchWindowMs: 1, log: (e) => logs.push(e) });
  const classify = (text: string) => a.request("/v1/classify", post(JSON.stringify({ text })));
  const computing = classify("meeting at noon");
  await started;
  const queued = classify("cheap pills offer now");
  const health = await until(
    async () => await (await a.request("/healthz")).json(),
    (h) => h.queue.requests > 0,
  );
  assert.deepEqual(health.queue, { requests: 1, texts: 1, chars: 21 });
  const refused = await classify("win a free cruise");
  assert.match(refused.headers.get("retry-after") ?? "", /^\d+$/);
  assert.match(await errorOf(refused, 503, "overloaded"), /21 characters wait .* at most 20/);
  release();
  assert.equal((await computing).status, 200);
  await began(2);
  release();
  assert.equal((await queued).status, 200);
  const served = logs.filter((e) => e.status === 200 && e.path === "/v1/classify");
  assert.equal(served.length, 2);
  for (const e of served) {
    assert.equal(typeof e.queueMs, "number");
    assert.ok(e.computeMs! > 0 && e.queueMs! + e.computeMs! <= e.ms + 1, JSON.stringify(e));
  }
});

Deno.test("a request past its deadline is 503 deadline_exceeded; a departed client's text is never computed", async () => {
  const { slow, release } = slowClassifier();
  const seen: string[] = [];
  const spy: Classifier = {
    ...slow,
    info: clf.info,
    probabilities: (t) => (seen.push(...t), slow.probabilities(t)),
  };
  const a = createApp(spy, { deadlineMs: 30, batchWindowMs: 1 });
  const late = a.request("/v1/classify", post('{"text": "meeting at noon"}'));
  assert.match(await errorOf(await late, 503, "deadline_exceeded"), /30 ms deadline/);
  const gone = new AbortController();
  const abandoned = a.request("/v1/classify", {
    ...post('{"text": "cheap pills"}'),
    signal: gone.signal,
  });
  await new Promise((r) => setTimeout(r, 5));
  gone.abort();
  await Promise.resolve(abandoned).catch(() => {});
  release();
  await new Promise((r) => setTimeout(r, 10));
  release();
  assert.deepEqual(seen, ["meeting at noon"]);
});

Deno.test("a drain answers what is in flight, refuses what comes later, and closes connections", async () => {
  const drain = new Drain();
  const a = createApp(clf, { drain, batchWindowMs: 60_000, maxBatch: 100 });
  const inFlight = ["meeting at noon", "cheap pills"].map((text) =>
    a.request("/v1/classify", post(JSON.stringify({ text })))
  );
  await new Promise((r) => setTimeout(r, 10));
  // The 60 s window would hold them; the drain runs them at once.
  const result = await drain.drain(10_000, 0);
  assert.deepEqual(result, { inFlight: 2, cutOff: 0 });
  for (const res of await Promise.all(inFlight)) {
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("connection"), "close");
    assert.equal((await res.json()).results.length, 1);
  }
  await errorOf(await a.request("/v1/classify", post('{"text": "a"}')), 503, "shutting_down");
  const health = await a.request("/healthz");
  assert.equal(health.status, 503);
  assert.deepEqual(await health.json(), { status: "draining" });
});

Deno.test("a drain past its bound answers what still runs 503 shutting_down", async () => {
  const { slow, release } = slowClassifier();
  const drain = new Drain();
  const a = createApp(slow, { drain, batchWindowMs: 1 });
  const stuck = a.request("/v1/classify", post('{"text": "meeting at noon"}'));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(await drain.drain(20, 0), { inFlight: 1, cutOff: 1 });
  await errorOf(await stuck, 503, "shutting_down");
  release();
});
