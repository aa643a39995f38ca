import assert from "node:assert/strict";
import type { ParamData } from "./params.ts";
import { rowsByToken, transferVocabRows } from "./vocab_transfer.ts";

const param = (shape: number[], values: number[]): ParamData => ({
  shape,
  data: new Float32Array(values),
});

Deno.test("transferVocabRows: known words keep their rows, new ones get the means (by hand)", () => {
  // Old vocabulary xxunk, the, cat, sat; embedding size 2 (four rows: every division is exact).
  const params = {
    "encoder.weight": param([4, 2], [1, 2, 4, 8, 7, -4, 4, 2]),
    "decoder.bias": param([4], [0.5, -1, 2, 0.5]),
    "rnns.0.bias_ih": param([2], [9, 9]),
  };
  const rowOf = rowsByToken(["xxunk", "the", "cat", "sat"], ["xxunk", "dog", "cat", "the"]);
  assert.deepEqual(rowOf, [0, -1, 2, 1]);
  const moved = transferVocabRows(params, rowOf);
  // Mean row: ((1 + 4 + 7 + 4) / 4, (2 + 8 - 4 + 2) / 4) = (4, 2); bias (0.5 - 1 + 2 + 0.5) / 4 = 0.5.
  assert.deepEqual(moved["encoder.weight"].shape, [4, 2]);
  assert.deepEqual([...moved["encoder.weight"].data], [1, 2, 4, 2, 7, -4, 4, 8]);
  assert.deepEqual(moved["decoder.bias"].shape, [4]);
  assert.deepEqual([...moved["decoder.bias"].data], [0.5, 0.5, 2, -1]);
  assert.equal(moved["rnns.0.bias_ih"], params["rnns.0.bias_ih"]);
  // The input is left as it was.
  assert.deepEqual([...params["encoder.weight"].data], [1, 2, 4, 8, 7, -4, 4, 2]);
  assert.deepEqual(params["decoder.bias"].shape, [4]);
});

Deno.test("transferVocabRows: a model without the vocabulary tensors is refused", () => {
  assert.throws(
    () => transferVocabRows({ "encoder.weight": param([1, 1], [1]) }, [0]),
    /^Error: Cannot move the model onto another vocabulary: it lacks encoder.weight or decoder.bias$/,
  );
});
