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

Deno.test("formatConfusion: many labels list the largest confusions and lowest recalls", () => {
  // 13 labels: label i is right 10 times, label 3 is taken for label 5 six times and label 7
  // for label 0 twice.
  const labels = Array.from({ length: 13 }, (_, i) => `c${i}`);
  const counts: number[][] = labels.map((_, i) => labels.map((_, j) => (i === j ? 10 : 0)));
  counts[3][5] = 6;
  counts[7][0] = 2;
  const text = formatConfusion(labels, counts);
  assert.doesNotMatch(text, /true \\ predicted/);
  const lines = text.split("\n");
  assert.match(lines[0], /^13 labels/);
  assert.deepEqual(lines.slice(1, 3), ["  c3 → c5: 6", "  c7 → c0: 2"]);
  assert.equal(lines[3], "lowest recall (right / documents of the label):");
  assert.deepEqual(lines.slice(4, 6), ["  c3: 10 / 16", "  c7: 10 / 12"]);
  // At the limit the matrix stays.
  assert.match(
    formatConfusion(labels.slice(0, 12), counts.slice(0, 12).map((r) => r.slice(0, 12))),
    /^true \\ predicted/,
  );
});
