import assert from "node:assert/strict";
import { makeClassifier } from "../shared/classify.ts";
import { explain } from "../shared/explain.ts";
import { loadClassifier } from "../shared/pipeline.ts";
import { createApp, type ServeOptions } from "./app.ts";
import type { LogEntry } from "./middleware/request_log.ts";
import { errorOf, post } from "./test_http.ts";
import { makeTestWeights } from "./test_weights.ts";

const dir = await makeTestWeights(["fwd", "bwd"]);
const clf = await loadClassifier(dir);
const app = (options: ServeOptions = {}) => createApp(clf, options);
const TEXT = "Win a free cruise,  click here!\nMeeting at noon tomorrow";

async function explainOver(body: unknown, options: ServeOptions = {}) {
  return await app(options).request("/v1/explain", post(JSON.stringify(body)));
}

/**
 * A classifier whose answer is a sum of per-word scores (a bag of words), so that what each word
 * does is known: p(spam) = σ(Σ score(word)).
 */
const SCORES: Record<string, number> = { win: 1.5, free: 2, cruise: 1, meeting: -2, noon: -1 };
function pSpam(text: string): number {
  const z = text.toLowerCase().split(/\W+/).reduce((a, w) => a + (SCORES[w] ?? 0), 0);
  return 1 / (1 + Math.exp(-z));
}
const bagOfWords = makeClassifier(
  { labels: ["ham", "spam"], directions: ["fwd"], backend: "test", configs: {}, checksums: {} },
  (texts) => Promise.resolve(texts.map((t) => new Float32Array([1 - pSpam(t), pSpam(t)]))),
  () => {},
);

Deno.test("POST /v1/explain: each weight is the fall of the answer's score without that word", async () => {
  const res = await createApp(bagOfWords).request(
    "/v1/explain",
    post(JSON.stringify({ text: TEXT })),
  );
  assert.equal(res.status, 200);
  const e = await res.json();
  assert.equal(e.label, "spam");
  assert.equal(e.target, "spam");
  assert.ok(Math.abs(e.score - pSpam(TEXT)) < 1e-6);
  assert.equal(e.wordsPerPiece, 1);
  const words = TEXT.split(/\s+/);
  assert.deepEqual(e.pieces.map((p: { text: string }) => p.text), words);
  for (let i = 0; i < words.length; i++) {
    const p = e.pieces[i];
    assert.equal(TEXT.slice(p.start, p.end), words[i]);
    const without = [...words.slice(0, i), ...words.slice(i + 1)].join(" ");
    const want = pSpam(TEXT) - pSpam(without);
    assert.ok(Math.abs(p.weight - want) < 1e-6, `${words[i]}: ${p.weight} vs ${want}`);
  }
  // "free" speaks for spam most, "meeting" against it most, "a" not at all.
  const by = (w: string) => e.pieces.find((p: { text: string }) => p.text === w).weight;
  assert.ok(by("free") > by("Win") && by("Win") > by("cruise,") && by("cruise,") > 0);
  assert.ok(by("Meeting") < by("noon") && by("noon") < 0);
  assert.equal(by("a"), 0);
});

Deno.test("POST /v1/explain on the LSTMs gives the library's explanation", async () => {
  const res = await explainOver({ text: TEXT });
  assert.equal(res.status, 200);
  const e = await res.json();
  const lib = await explain(clf, TEXT);
  assert.equal(e.label, lib.label);
  assert.deepEqual(e.pieces.map((p: { text: string }) => p.text), lib.pieces.map((p) => p.text));
  e.pieces.forEach((p: { weight: number }, i: number) =>
    assert.ok(Math.abs(p.weight - lib.pieces[i].weight) < 1e-6)
  );
});

Deno.test("POST /v1/explain: another label's weights, as the library computes them", async () => {
  const ask = async (body: unknown) =>
    await (await createApp(bagOfWords).request("/v1/explain", post(JSON.stringify(body)))).json();
  const e = await ask({ text: TEXT });
  const other = e.label === "ham" ? "spam" : "ham";
  const o = await ask({ text: TEXT, label: other });
  assert.equal(o.target, other);
  assert.equal(o.label, e.label);
  // Two labels: what speaks for one speaks against the other by as much.
  o.pieces.forEach((p: { weight: number }, i: number) =>
    assert.ok(Math.abs(p.weight + e.pieces[i].weight) < 1e-5)
  );
  const lib = await explain(bagOfWords, TEXT, { label: other });
  lib.pieces.forEach((p, i) => assert.ok(Math.abs(p.weight - o.pieces[i].weight) < 1e-6));
});

Deno.test("POST /v1/explain groups the words of a long text into runs", async () => {
  const text = Array.from({ length: 25 }, (_, i) => `w${i}`).join(" ");
  const e = await (await explainOver({ text }, { explainMaxPieces: 10 })).json();
  assert.equal(e.wordsPerPiece, 3);
  assert.equal(e.pieces.length, 9);
  assert.equal(e.pieces[0].text, "w0 w1 w2");
  assert.equal(e.pieces[8].text, "w24");
});

Deno.test("POST /v1/explain client errors", async (t) => {
  const cases: [string, unknown, number, string, RegExp][] = [
    ["no text", { texts: ["a"] }, 422, "invalid_body", /"text"/],
    ["text not a string", { text: 3 }, 422, "invalid_text", /number/],
    ["empty text", { text: " \u200b " }, 400, "empty_text", /empty/],
    ["unknown label", { text: "hi there", label: "eggs" }, 422, "invalid_label", /ham, spam/],
    ["text too long", { text: "word ".repeat(30) }, 413, "text_too_long", /limit is 100/],
  ];
  for (const [name, body, status, code, message] of cases) {
    await t.step(name, async () => {
      const res = await explainOver(body, { maxExplainChars: 100 });
      assert.match(await errorOf(res, status, code), message);
    });
  }
  await t.step("GET is 405", async () => {
    const res = await app().request("/v1/explain");
    assert.equal(res.headers.get("allow"), "POST");
    await errorOf(res, 405, "method_not_allowed");
  });
});

Deno.test("POST /v1/explain needs the key like /v1/classify", async () => {
  const res = await explainOver({ text: TEXT }, { apiKey: "k" });
  await errorOf(res, 401, "unauthorized");
});

Deno.test("POST /v1/explain logs its batch size and queue and compute times", async () => {
  const logs: LogEntry[] = [];
  const words = TEXT.split(/\s+/).length;
  // Chunks of 4: the text and its variants (one a word) go through the batcher 4 at a time.
  const a = createApp(bagOfWords, { batchWindowMs: 0, maxBatch: 4, log: (e) => logs.push(e) });
  const res = await a.request("/v1/explain", post(JSON.stringify({ text: TEXT })));
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.ok(words + 1 > 4);
  const [e] = logs;
  assert.equal(e.batchSize, 4, JSON.stringify(e));
  assert.ok(e.computeMs! >= 0 && e.queueMs! >= 0 && e.queueMs! + e.computeMs! <= e.ms + 1);
});
