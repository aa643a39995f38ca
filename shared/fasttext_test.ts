import assert from "node:assert/strict";
import { fastTextLine } from "./fasttext.ts";

Deno.test("fastTextLine: label words anywhere, each once, the rest is the text", () => {
  assert.deepEqual(fastTextLine("__label__b   two  spaces\there"), {
    labels: ["b"],
    text: "two spaces here",
  });
  assert.deepEqual(fastTextLine("mid __label__x text __label__x"), {
    labels: ["x"],
    text: "mid text",
  });
  assert.deepEqual(fastTextLine("__label__a __label__b both"), {
    labels: ["a", "b"],
    text: "both",
  });
  // Only a word that starts with the prefix is a label, as in fastText.
  assert.deepEqual(fastTextLine("__label__q see x__label__y"), {
    labels: ["q"],
    text: "see x__label__y",
  });
  assert.deepEqual(fastTextLine("no label here"), { labels: [], text: "no label here" });
});
