import assert from "node:assert/strict";
import { type Classifier, loadClassifier } from "../shared/pipeline.ts";
import { createApp, type ServeOptions } from "./app.ts";
import type { LogEntry } from "./middleware/request_log.ts";
import { errorOf, post } from "./test_http.ts";
import { makeTestWeights } from "./test_weights.ts";

const dir = await makeTestWeights(["fwd", "bwd"]);
const clf = await loadClassifier(dir);

function app(options: ServeOptions = {}, c: Classifier | Promise<Classifier> = clf) {
  return createApp(c, options);
}

Deno.test("POST /v1/classify with one text matches classify", async () => {
  const res = await app().request(
    "/v1/classify",
    post(JSON.stringify({ text: "win a free cruise" })),
  );
  assert.equal(res.status, 200);
  const { results } = await res.json();
  const [want] = await clf.classify("win a free cruise");
  assert.equal(results.length, 1);
  assert.equal(results[0].label, want.label);
  assert.ok(Math.abs(results[0].score - want.score) < 1e-6);
  const sum = Object.values(results[0].scores as Record<string, number>).reduce((a, b) => a + b);
  assert.ok(Math.abs(sum - 1) < 1e-5);
});

Deno.test("POST /v1/classify with texts answers in input order", async () => {
  const texts = ["meeting at noon", "cheap pills offer", "thanks for the report"];
  const res = await app().request("/v1/classify", post(JSON.stringify({ texts })));
  const { results } = await res.json();
  const want = await clf.classify(texts);
  assert.equal(results.length, 3);
  results.forEach((r: { score: number }, i: number) =>
    assert.ok(Math.abs(r.score - want[i].score) < 1e-6)
  );
});

Deno.test("batching never changes answers", async () => {
  const texts = Array.from(
    { length: 12 },
    (_, i) => "win free cruise meeting noon report ".repeat(1 + (i % 4)).slice(0, 10 + 7 * i),
  );
  const logs: LogEntry[] = [];
  const batched = app({ batchWindowMs: 20, maxBatch: 100, log: (e) => logs.push(e) });
  const responses = await Promise.all(
    texts.map((text) => batched.request("/v1/classify", post(JSON.stringify({ text })))),
  );
  const got = await Promise.all(responses.map((r) => r.json()));
  for (let i = 0; i < texts.length; i++) {
    const [want] = await clf.classify(texts[i]);
    for (const label of clf.info.labels) {
      assert.ok(Math.abs(got[i].results[0].scores[label] - want.scores[label]) < 1e-5);
    }
  }
  // Proves the requests really shared one model call.
  assert.ok(logs.some((e) => (e.batchSize ?? 0) > 1), JSON.stringify(logs));
});

Deno.test("batchWindowMs 0 serves each request alone", async () => {
  const logs: LogEntry[] = [];
  const a = app({ batchWindowMs: 0, log: (e) => logs.push(e) });
  await Promise.all(
    ["a b", "c d"].map((text) => a.request("/v1/classify", post(JSON.stringify({ text })))),
  );
  assert.deepEqual(logs.map((e) => e.batchSize), [1, 1]);
});

Deno.test("classify client errors", async (t) => {
  const a = app({ maxTexts: 2, maxChars: 10, maxBodyBytes: 200 });
  const cases: [string, RequestInit, number, string][] = [
    ["malformed JSON", post("{nope"), 400, "malformed_json"],
    ["not an object", post("[1]"), 422, "invalid_body"],
    ["text not a string", post('{"text": 5}'), 422, "invalid_text"],
    ["texts not an array", post('{"texts": "x"}'), 422, "invalid_texts"],
    ["texts item not a string", post('{"texts": ["a", null]}'), 422, "invalid_text"],
    ["missing text", post("{}"), 400, "missing_text"],
    ["empty text", post('{"text": "  "}'), 400, "empty_text"],
    ["invisible text", post('{"text": "\\u200b\\u0000\\ufeff\\u2060 "}'), 400, "empty_text"],
    ["empty texts", post('{"texts": []}'), 400, "empty_texts"],
    ["both fields", post('{"text": "a", "texts": ["b"]}'), 400, "ambiguous_body"],
    ["too many texts", post('{"texts": ["a", "b", "c"]}'), 413, "too_many_texts"],
    ["text too long", post(JSON.stringify({ text: "x".repeat(11) })), 413, "text_too_long"],
    ["body too large", post(JSON.stringify({ text: "x".repeat(300) })), 413, "body_too_large"],
    [
      "declared length too large",
      post("{}", { "content-length": "999999" }),
      413,
      "body_too_large",
    ],
    ["invalid UTF-8", post(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d])), 400, "invalid_utf8"],
    [
      "wrong content type",
      { method: "POST", headers: { "content-type": "text/plain" }, body: '{"text": "a"}' },
      415,
      "unsupported_media_type",
    ],
    [
      "no content type",
      { method: "POST", body: new Uint8Array([1]) },
      415,
      "unsupported_media_type",
    ],
  ];
  for (const [name, init, status, code] of cases) {
    await t.step(name, async () => {
      const msg = await errorOf(await a.request("/v1/classify", init), status, code);
      if (code === "too_many_texts") assert.match(msg, /limit is 2/);
    });
  }
});

Deno.test("body over the limit stops reading the stream", async () => {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      pulled++;
      if (pulled > 1000) ctrl.close();
      else ctrl.enqueue(new Uint8Array(100).fill(0x20));
    },
  });
  const res = await app({ maxBodyBytes: 250 }).request(
    "/v1/classify",
    { ...post(body), duplex: "half" } as RequestInit,
  );
  await errorOf(res, 413, "body_too_large");
  assert.ok(pulled < 10, `pulled ${pulled} chunks`);
});

Deno.test("unknown route is 404, wrong method is 405 with Allow", async () => {
  const a = app();
  await errorOf(await a.request("/nope"), 404, "not_found");
  const res = await a.request("/v1/classify");
  assert.equal(res.headers.get("allow"), "POST");
  await errorOf(res, 405, "method_not_allowed");
  const del = await a.request("/v1/model", { method: "DELETE" });
  assert.match(del.headers.get("allow") ?? "", /GET/);
  await errorOf(del, 405, "method_not_allowed");
});

Deno.test("GET /v1/model describes the model without the vocab", async () => {
  const body = await (await app().request("/v1/model")).json();
  assert.deepEqual(body.labels, ["ham", "spam"]);
  assert.deepEqual(body.directions, ["fwd", "bwd"]);
  assert.equal(body.note, undefined);
  assert.equal(body.backend, "wasm");
  assert.equal(body.configs.fwd.vocab, undefined);
  assert.equal(body.configs.fwd.vocabSize, clf.info.configs.fwd!.vocab.length);
  assert.equal(typeof body.checksums.bwd, "string");
  assert.equal(body.metrics.fwd.validAccuracy, 0.9);
});

Deno.test("GET /v1/model notes a single direction", async () => {
  const one = await loadClassifier(await makeTestWeights(["fwd"]));
  const body = await (await createApp(one).request("/v1/model")).json();
  assert.deepEqual(body.directions, ["fwd"]);
  assert.match(body.note, /Only the fwd model/);
  one.dispose();
});

Deno.test("an incomplete direction is refused unless only the other one is asked for", async () => {
  const dir = await makeTestWeights(["fwd", "bwd"]);
  await Deno.remove(`${dir}/classifier-fwd/config.json`);
  await assert.rejects(
    loadClassifier(dir),
    /Cannot load classifier from .*: .*classifier-fwd\/config\.json is missing, so the fwd model is incomplete; restore it, train again, or load only the other direction/,
  );
  await assert.rejects(loadClassifier(dir, { directions: ["fwd"] }), /fwd model is incomplete/);
  const bwd = await loadClassifier(dir, { directions: ["bwd"] });
  assert.deepEqual(bwd.info.directions, ["bwd"]);
  bwd.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("healthz is loading until the classifier resolves", async () => {
  let resolve!: (c: Classifier) => void;
  const a = app({}, new Promise<Classifier>((r) => resolve = r));
  let res = await a.request("/healthz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "loading" });
  await errorOf(await a.request("/v1/classify", post('{"text": "a"}')), 503, "loading");
  resolve(clf);
  await new Promise((r) => setTimeout(r, 0));
  res = await a.request("/healthz");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    status: "ok",
    queue: { requests: 0, texts: 0, chars: 0 },
    computing: 0,
  });
});

Deno.test("healthz reports a failed load", async () => {
  const a = app({}, Promise.reject(new Error("Cannot load classifier from x: folder not found")));
  await new Promise((r) => setTimeout(r, 0));
  const res = await a.request("/healthz");
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: "error" });
});

Deno.test("API key guards /v1 only", async () => {
  const a = app({ apiKey: "s3cret" });
  const msg = await errorOf(
    await a.request("/v1/classify", post('{"text": "a"}')),
    401,
    "unauthorized",
  );
  assert.match(msg, /Bearer/);
  await errorOf(
    await a.request("/v1/model", { headers: { authorization: "Bearer wrong" } }),
    401,
    "unauthorized",
  );
  const ok = await a.request(
    "/v1/classify",
    post('{"text": "a"}', { authorization: "Bearer s3cret" }),
  );
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  for (const path of ["/", "/healthz", "/openapi.json", "/docs"]) {
    const res = await a.request(path);
    assert.equal(res.status, 200, path);
    await res.body?.cancel();
  }
});

Deno.test("CORS answers configured origins only", async () => {
  const a = app({ corsOrigins: ["https://ok.example"] });
  const pre = await a.request("/v1/classify", {
    method: "OPTIONS",
    headers: { origin: "https://ok.example", "access-control-request-method": "POST" },
  });
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://ok.example");
  const other = await a.request("/healthz", { headers: { origin: "https://evil.example" } });
  assert.equal(other.headers.get("access-control-allow-origin"), null);
  await other.body?.cancel();
});

Deno.test("openapi.json and docs describe every route", async () => {
  const a = app();
  const spec = await (await a.request("/openapi.json")).json();
  assert.equal(spec.openapi, "3.1.0");
  const routes = [
    "/v1/classify",
    "/v1/explain",
    "/v1/model",
    "/healthz",
    "/openapi.json",
    "/docs",
    "/",
    "/try.js",
  ];
  for (const p of [...routes, "/style.css"]) {
    assert.ok(p in spec.paths, p);
  }
  assert.ok(spec.components.schemas.Error);
  const docs = await (await a.request("/docs")).text();
  assert.match(docs, /\/v1\/classify/);
  // Self-contained: the pages load nothing from another origin.
  const index = await (await a.request("/")).text();
  assert.match(index, /<textarea/);
  for (const page of [docs, index]) {
    assert.doesNotMatch(page, /(src|href)="(?!\/)|https?:\/\//);
  }
});

Deno.test("unexpected errors are a logged 500 without a stack", async () => {
  const logs: LogEntry[] = [];
  const broken = {
    ...clf,
    info: clf.info,
    probabilities: () => Promise.reject(new Error("kaboom")),
  };
  const a = createApp(broken as Classifier, { log: (e) => logs.push(e) });
  const res = await a.request("/v1/classify", post('{"text": "a"}'));
  const text = await res.text();
  assert.equal(res.status, 500);
  assert.equal(JSON.parse(text).error.code, "internal");
  assert.doesNotMatch(text, /kaboom|at /);
  assert.equal(logs[0].error, "kaboom");
  assert.equal(logs[0].status, 500);
});

Deno.test("request log has method, path, status, ms", async () => {
  const logs: LogEntry[] = [];
  const res = await app({ log: (e) => logs.push(e) }).request("/healthz");
  await res.body?.cancel();
  assert.equal(logs.length, 1);
  assert.equal(logs[0].method, "GET");
  assert.equal(logs[0].path, "/healthz");
  assert.equal(logs[0].status, 200);
  assert.equal(typeof logs[0].ms, "number");
});

Deno.test("pages: strict CSP, no framing, script and style from the server; HEAD states the length", async () => {
  const a = app();
  for (const path of ["/", "/docs"]) {
    const res = await a.request(path);
    const html = await res.text();
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    assert.doesNotMatch(html, /<script>|<style>/, `${path} has no inline script or style`);
    const head = await a.request(path, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), String(new TextEncoder().encode(html).length));
    assert.equal(await head.text(), "");
  }
  const js = await a.request("/try.js");
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  const script = await js.text();
  assert.match(script, /call\("\/v1\/classify"/);
  assert.match(script, /call\("\/v1\/explain"/);
  const css = await a.request("/style.css");
  assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
  assert.match(await css.text(), /textarea\{/);
});
