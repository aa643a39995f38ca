import assert from "node:assert/strict";
import { outOfFoldProbabilities, stratifiedFolds } from "./cross_val.ts";
import { trainBaseline } from "./mod.ts";

Deno.test("stratifiedFolds: folds of equal size within one, each label spread over them", () => {
  // 3 labels of 7, 2 and 1 documents, interleaved.
  const labels = [0, 1, 0, 2, 0, 0, 1, 0, 0, 0];
  const foldOf = stratifiedFolds(labels, 3);
  const sizes = [0, 1, 2].map((f) => foldOf.filter((g) => g === f).length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `fold sizes ${sizes}`);
  for (const k of [0, 1, 2]) {
    const per = [0, 1, 2].map((f) => foldOf.filter((g, i) => g === f && labels[i] === k).length);
    assert.ok(Math.max(...per) - Math.min(...per) <= 1, `label ${k}: ${per}`);
  }
});

Deno.test("outOfFoldProbabilities: one document per label still leaves every fold text to train on", () => {
  // Each label once (a few-shot set): folds that started every label at fold 0 held out all
  // ten documents in fold 0 and failed fitting on nothing.
  const docs = [..."abcdefghij"].map((c, i) => ({ text: `word${c} other${c}`, label: `L${i}` }));
  const plain = trainBaseline(docs, { grid: [1] });
  const probs = outOfFoldProbabilities(docs, plain, 5)!;
  assert.equal(probs.length, docs.length);
  assert.ok(probs.every((p) => p.length === 10 && Math.abs(p.reduce((a, b) => a + b) - 1) < 1e-5));
});
