import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { SPECIAL_TOKENS } from "./special_tokens.ts";
import { countTokens, Vocab } from "./vocab.ts";

const S = [...SPECIAL_TOKENS];

Deno.test("countTokens: counts, and adds to an existing map", () => {
  const c = countTokens([["xxbos", "a", "b", "a"], ["xxbos", "c"]]);
  deepStrictEqual([...c], [["xxbos", 2], ["a", 2], ["b", 1], ["c", 1]]);
  const more = Vocab.countTokens([["a"]], c);
  equal(more, c);
  equal(c.get("a"), 3);
});

Deno.test("Vocab.build: specials first, then by count, ties by code units", () => {
  const counts = new Map([["b", 3], ["B", 3], ["a", 3], ["z", 9], ["é", 3], ["xxbos", 100]]);
  const v = Vocab.build(counts);
  // "B" (66) < "a" (97) < "b" (98) < "é" (233); xxbos stays at 2.
  deepStrictEqual(v.itos, [...S, "z", "B", "a", "b", "é"]);
  equal(v.size, 14);
  equal(v.idOf("xxbos"), 2);
  equal(v.idOf("z"), 9);
});

Deno.test("Vocab.build: minFreq drops rare tokens", () => {
  const counts = new Map([["x", 1], ["y", 2], ["w", 5]]);
  deepStrictEqual(Vocab.build(counts).itos.slice(9), ["w", "y"]);
  deepStrictEqual(Vocab.build(counts, { minFreq: 1 }).itos.slice(9), ["w", "y", "x"]);
  deepStrictEqual(Vocab.build(counts, { minFreq: 3 }).itos.slice(9), ["w"]);
});

Deno.test("Vocab.build: kept words (a pretrained LM's) count from one occurrence", () => {
  const counts = new Map([["x", 1], ["y", 2], ["w", 5], ["z", 0]]);
  const keep = new Set(["x", "z", "absent"]);
  deepStrictEqual(Vocab.build(counts, { minFreq: 3, keep }).itos.slice(9), ["w", "x"]);
});

Deno.test("Vocab.build: maxSize includes the specials", () => {
  const counts = new Map([["a", 5], ["b", 4], ["c", 3]]);
  deepStrictEqual(Vocab.build(counts, { maxSize: 11 }).itos, [...S, "a", "b"]);
  deepStrictEqual(Vocab.build(counts, { maxSize: 9 }).itos, S);
  throws(() => Vocab.build(counts, { maxSize: 8 }), /Cannot build vocabulary: maxSize 8/);
  throws(() => Vocab.build(counts, { maxSize: 10.5 }), /not an integer/);
});

Deno.test("Vocab: encode/decode, unknown words are xxunk", () => {
  const v = Vocab.fromItos([...S, "the", "cat"]);
  deepStrictEqual(v.encode(["xxbos", "the", "dog", "cat"]), new Int32Array([2, 9, 0, 10]));
  deepStrictEqual(v.decode([2, 9, 0, 10]), ["xxbos", "the", "xxunk", "cat"]);
  deepStrictEqual(v.decode(new Int32Array([5, 6])), ["xxmaj", "xxup"]);
  equal(v.idOf("dog"), 0);
  equal(v.has("dog"), false);
  equal(v.has("cat"), true);
  throws(() => v.decode([11]), /Cannot decode id 11 at position 0: the vocabulary has ids 0..10/);
  throws(() => v.decode([-1]), /Cannot decode id -1/);
});

Deno.test("Vocab: JSON round trip", () => {
  const v = Vocab.build(new Map([["hello", 4], ["world", 2]]));
  const json = JSON.stringify(v);
  deepStrictEqual(JSON.parse(json), [...S, "hello", "world"]);
  const back = Vocab.fromJSON(JSON.parse(json));
  deepStrictEqual(back.itos, v.itos);
  deepStrictEqual(Vocab.fromJSON({ itos: v.itos }).itos, v.itos);
});

Deno.test("Vocab.fromJSON: names the problem", () => {
  throws(() => Vocab.fromJSON("nope"), /Cannot load vocabulary: expected an array of strings/);
  throws(() => Vocab.fromJSON(null), /got null/);
  throws(() => Vocab.fromJSON([...S, 5]), /entry 9 is number, not a string/);
  throws(
    () => Vocab.fromJSON(["xxpad", ...S]),
    /entry 0 is "xxpad", expected special token "xxunk"/,
  );
  throws(() => Vocab.fromJSON(S.slice(0, 4)), /entry 4 is undefined/);
  throws(() => Vocab.fromJSON([...S, "a", "b", "a"]), /token "a" appears at ids 9 and 11/);
  throws(() => Vocab.fromItos([...S, "xxbos"]), /token "xxbos" appears at ids 2 and 9/);
});

Deno.test("Vocab: itos is read-only", () => {
  const v = Vocab.fromItos(S);
  throws(() => (v.itos as string[]).push("x"));
});
