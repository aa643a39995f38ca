import assert from "node:assert/strict";
import { isWikiTitle, wikiDocuments } from "./wikitext.ts";

Deno.test("isWikiTitle: titles only, not section headers or text", () => {
  assert.ok(isWikiTitle(" = Valkyria Chronicles III = "));
  assert.ok(isWikiTitle("= A ="));
  assert.ok(!isWikiTitle(" = = Gameplay = = "));
  assert.ok(!isWikiTitle(" = = = Sub = = = "));
  assert.ok(!isWikiTitle("x = y = z"));
  assert.ok(!isWikiTitle(" "));
});

Deno.test("wikiDocuments: titles split, sections kept, blanks dropped, lead text kept", async () => {
  async function* lines() {
    yield* [
      "preamble",
      " ",
      " = A = ",
      "",
      " a1 ",
      " = = S = = ",
      " a2 ",
      " = Empty = ",
      " = B = ",
      "b",
    ];
  }
  assert.deepEqual(await Array.fromAsync(wikiDocuments(lines())), [
    "preamble",
    "= A =\na1\n= = S = =\na2",
    "= B =\nb",
  ]);
});
