import assert from "node:assert/strict";
import { byKnownOrder, colorFor, formatSeconds, num, pct, str } from "./common.ts";

Deno.test("formatSeconds: seconds, minutes, hours", () => {
  assert.equal(formatSeconds(7.4), "7 s");
  assert.equal(formatSeconds(812), "13 min 32 s");
  assert.equal(formatSeconds(3_900), "1 h 05 min");
});

Deno.test("byKnownOrder: known names first in their order, unknown ones after", () => {
  assert.deepEqual(
    ["x", "avg", "fwd", "y", "bwd"].sort(byKnownOrder(["fwd", "bwd", "avg"])),
    ["fwd", "bwd", "avg", "x", "y"],
  );
});

Deno.test("colorFor: fixed colours for fwd, bwd, avg; others take the extras in order", () => {
  const known = ["fwd", "a", "b"];
  assert.equal(colorFor("fwd", known), "#2563eb");
  assert.notEqual(colorFor("a", known), colorFor("b", known));
  assert.equal(colorFor("a", known), colorFor("a", ["a"]));
});

Deno.test("field access and formatting of missing values", () => {
  assert.equal(num(NaN), undefined);
  assert.equal(num("1"), undefined);
  assert.equal(str(""), undefined);
  assert.equal(pct(undefined), "—");
  assert.equal(pct(0.9548), "95.48%");
});
