import assert from "node:assert/strict";
import { Rng } from "../rng.ts";
import { TermTable } from "./term_table.ts";

Deno.test("TermTable: finds every term at its index and no other string, as a Map does", () => {
  const rng = new Rng(7);
  const alphabet = ["a", "b", "é", " ", "😀", ":", "Ω"];
  const words = new Set<string>();
  while (words.size < 3000) {
    const n = 1 + Math.floor(rng.next() * 6);
    words.add(Array.from({ length: n }, () => alphabet[Math.floor(rng.next() * 7)]).join(""));
  }
  const all = [...words], terms = all.slice(0, 2000), absent = all.slice(2000);
  const table = TermTable.fromTerms(terms);
  assert.equal(table.size, 2000);
  terms.forEach((t, i) => assert.equal(table.indexOf(t), i));
  for (const t of absent) assert.equal(table.indexOf(t), undefined, t);
  assert.equal(table.indexOf(""), undefined);
  // Through the bytes a model folder stores: the same terms in the same order.
  const back = TermTable.fromBytes(table.toBytes(), "memory");
  assert.deepEqual(back.toArray(), terms);
  terms.forEach((t, i) => assert.equal(back.indexOf(t), i));
});

Deno.test("TermTable.startsWith: a prefix within the term, not across the next one", () => {
  const t = TermTable.fromTerms(["c", "c:ab", "c:", "xc:"]);
  assert.deepEqual([0, 1, 2, 3].map((i) => t.startsWith(i, "c:")), [false, true, true, false]);
});

Deno.test("TermTable refuses terms it could not give back: empty, with a line break, repeated", () => {
  assert.throws(
    () => TermTable.fromTerms(["a", ""]),
    /Cannot build the term table: term 1 is empty/,
  );
  assert.throws(() => TermTable.fromTerms(["a\nb"]), /term 0 \("a\\nb"\) holds a line break/);
  assert.throws(() => TermTable.fromTerms(["ab", "cd", "ab"]), /term "ab" appears twice/);
  const bytes = (s: string) => new TextEncoder().encode(s);
  const read = (b: Uint8Array) => TermTable.fromBytes(b, "x/baseline");
  assert.throws(
    () => read(bytes("")),
    /Cannot read the vocabulary from x\/baseline: it holds no terms/,
  );
  assert.throws(() => read(bytes("a\n\nb")), /term 1 is empty; train the model again/);
  assert.throws(() => read(bytes("a\nb\n")), /term 2 is empty/);
  assert.throws(() => read(bytes("ab\ncd\nab")), /term "ab" appears twice/);
  assert.throws(() => read(Uint8Array.of(0x61, 0xff)), /its terms are not UTF-8 text/);
});
