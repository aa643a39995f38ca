import assert from "node:assert/strict";
import { confidentMistakes } from "./mistakes.ts";

const f = (rows: number[][]) => rows.map((r) => Float32Array.from(r));

Deno.test("confidentMistakes: wrong answers only, most confident first, ties by the truth's probability", () => {
  const probs = f([
    [0.6, 0.3, 0.1], // right
    [0.1, 0.7, 0.2], // wrong (truth 0): p 0.7, pTrue 0.1
    [0.2, 0.1, 0.7], // wrong (truth 1): p 0.7, pTrue 0.1: a tie, later in test order
    [0.05, 0.15, 0.8], // wrong (truth 0): p 0.8
    [0.3, 0.5, 0.2], // wrong (truth 2): p 0.5
    [0.2, 0.7, 0.1], // wrong (truth 2): p 0.7, pTrue 0.1: ties with 1 and 2
    [0.25, 0.7, 0.05], // wrong (truth 2): p 0.7, pTrue 0.05: first among the 0.7s
  ]);
  const truth = [0, 0, 1, 0, 2, 2, 2];
  const texts = ["a", "b", "c", "d", "e", "f", "g"];
  const m = confidentMistakes(probs, truth, ["x", "y", "z"], texts, 4);
  assert.equal(m.wrong, 6);
  assert.equal(m.total, 7);
  assert.deepEqual(m.top.map((x) => x.index), [3, 6, 1, 2]);
  assert.deepEqual(m.top[0], {
    index: 3,
    label: "x",
    predicted: "z",
    p: Float32Array.from([0.8])[0],
    pTrue: Float32Array.from([0.05])[0],
    text: "d",
  });
});

Deno.test("confidentMistakes: texts on one line, cut with an ellipsis; mismatched inputs refused", () => {
  const long = "word\n\t ".repeat(100);
  const m = confidentMistakes(f([[0.1, 0.9]]), [0], ["a", "b"], [long], 20, 12);
  assert.equal(m.top[0].text, "word word w…");
  assert.equal([...m.top[0].text].length, 12);
  assert.equal(
    confidentMistakes(f([[0.1, 0.9]]), [0], ["a", "b"], ["  short  "]).top[0].text,
    "short",
  );
  assert.throws(
    () => confidentMistakes(f([[0.1, 0.9]]), [0, 1], ["a", "b"], ["x"]),
    /Cannot list mistakes: 1 answers, 2 labels and 1 texts/,
  );
});
