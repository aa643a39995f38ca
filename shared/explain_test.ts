import assert from "node:assert/strict";
import { explainText, splitPieces } from "./explain.ts";

// p(spam) = σ(Σ score(word)): what leaving a word out does is worked out by hand below.
const SCORES: Record<string, number> = { win: 1.5, free: 2 };
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
function bagOfWords(calls: number[]) {
  return (texts: string[]) => {
    calls.push(texts.length);
    return Promise.resolve(texts.map((t) => {
      const z = t.split(/\s+/).reduce((a, w) => a + (SCORES[w] ?? 0), 0);
      return new Float32Array([1 - sigmoid(z), sigmoid(z)]);
    }));
  };
}

Deno.test("explainText: weights worked out by hand", async () => {
  const e = await explainText(bagOfWords([]), ["ham", "spam"], "win free");
  // σ(3.5) = 0.970688; without "win" σ(2) = 0.880797, without "free" σ(1.5) = 0.817574.
  assert.equal(e.label, "spam");
  assert.ok(Math.abs(e.score - 0.970688) < 1e-6);
  assert.deepEqual(e.pieces.map((p) => p.text), ["win", "free"]);
  assert.ok(Math.abs(e.pieces[0].weight - 0.089891) < 1e-6);
  assert.ok(Math.abs(e.pieces[1].weight - 0.153114) < 1e-6);
  // For ham every weight is the opposite.
  const ham = await explainText(bagOfWords([]), ["ham", "spam"], "win free", { label: "ham" });
  assert.equal(ham.target, "ham");
  assert.equal(ham.label, "spam");
  assert.ok(Math.abs(ham.pieces[1].weight + 0.153114) < 1e-6);
});

Deno.test("explainText classifies the text and each variant once, chunk by chunk", async () => {
  const calls: number[] = [];
  const text = Array.from({ length: 70 }, (_, i) => `w${i}`).join(" ");
  const e = await explainText(bagOfWords(calls), ["ham", "spam"], text, { chunk: 32 });
  assert.equal(e.pieces.length, 70);
  assert.deepEqual(calls, [32, 32, 7]);
  // A one-word text is compared with the text without it: nothing.
  const one = await explainText(bagOfWords([]), ["ham", "spam"], "free");
  assert.ok(Math.abs(one.pieces[0].weight - (sigmoid(2) - 0.5)) < 1e-6);
});

Deno.test("explainText refuses what it cannot explain, before classifying anything", async () => {
  const calls: number[] = [];
  await assert.rejects(
    explainText(bagOfWords(calls), ["ham", "spam"], "hi", { label: "eggs" }),
    /Cannot explain label "eggs": the classifier's labels are ham, spam/,
  );
  await assert.rejects(explainText(bagOfWords(calls), ["ham", "spam"], " \n "), /no words/);
  await assert.rejects(
    explainText(bagOfWords(calls), ["ham", "spam"], "hi", { maxPieces: 0 }),
    /maxPieces is 0/,
  );
  assert.deepEqual(calls, []);
});

Deno.test("splitPieces: spans, the text without each piece, runs of words", () => {
  const p = splitPieces("  naïve café\n\t🎉 done  ", 200);
  assert.deepEqual(p.pieces.map((x) => x.text), ["naïve", "café", "🎉", "done"]);
  assert.deepEqual(p.pieces.map((x) => [x.start, x.end]), [[2, 7], [8, 12], [14, 16], [17, 21]]);
  assert.deepEqual(p.without, [
    "  café\n\t🎉 done  ",
    "  naïve 🎉 done  ",
    "  naïve café\n\tdone  ",
    "  naïve café\n\t🎉  ",
  ]);
  assert.equal(p.wordsPerPiece, 1);
  const runs = splitPieces("a b c d e f g", 3);
  assert.equal(runs.wordsPerPiece, 3);
  assert.deepEqual(runs.pieces.map((x) => x.text), ["a b c", "d e f", "g"]);
  assert.deepEqual(runs.without, ["d e f g", "a b c g", "a b c d e f"]);
  assert.deepEqual(splitPieces("one", 5).without, [""]);
});
