import assert from "node:assert/strict";
import { formatConfusion } from "./confusion.ts";

Deno.test("formatConfusion: rows are true labels, columns predictions, right-aligned", () => {
  assert.equal(
    formatConfusion(["ham", "spam"], [[786, 44], [104, 275]]),
    [
      "true \\ predicted  ham  spam",
      "ham               786    44",
      "spam              104   275",
    ].join("\n"),
  );
});
