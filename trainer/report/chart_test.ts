import assert from "node:assert/strict";
import { formatTick, lineChart, niceTicks, resetClipIds } from "./chart.ts";

Deno.test("niceTicks: 1, 2, 5 × 10^k steps covering the range", () => {
  // [0, 1] in 5: raw step 0.2, already nice.
  assert.deepEqual(niceTicks(0, 1, 5).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  // [3, 97] in 4: raw 23.5 → 20; the ends round outwards to 0 and 100.
  const t = niceTicks(3, 97, 4);
  assert.equal(t.step, 20);
  assert.deepEqual([t.lo, t.hi], [0, 100]);
  assert.deepEqual(t.values, [0, 20, 40, 60, 80, 100]);
  // minStep: integer axes never get fractional ticks.
  assert.deepEqual(niceTicks(0, 3, 10, 1).values, [0, 1, 2, 3]);
  // A single value is padded by 10% each side.
  const flat = niceTicks(5, 5, 4);
  assert.ok(flat.lo < 5 && flat.hi > 5);
});

Deno.test("formatTick: digits follow the tick step", () => {
  assert.equal(formatTick(0, 0.001), "0");
  assert.equal(formatTick(1500, 500), "1,500");
  assert.equal(formatTick(0.25, 0.05), "0.25");
  assert.equal(formatTick(0.003, 0.001), "3e-3");
  assert.equal(formatTick(0.0025, 0.0005), "2.5e-3");
});

Deno.test("lineChart: one polyline per non-empty segment, escaped labels, unique clip ids", () => {
  resetClipIds();
  const svg = lineChart({
    series: [
      { label: "<fwd>", color: "#111", segments: [[[0, 1], [1, 2]], [], [[2, 3], [3, 1]]] },
      { color: "#222", segments: [[[1, 5]]] }, // one point: drawn with a dot, not in the legend
    ],
    xLabel: "step",
    yLabel: "loss",
    markers: [{ x: 2, label: "classifier" }],
  });
  assert.equal(svg.match(/<polyline /g)?.length, 3);
  assert.equal(svg.match(/<circle /g)?.length, 1);
  assert.match(svg, />&#60;fwd&#62;</);
  assert.equal(svg.match(/class="legend"/g)?.length, 1);
  assert.match(svg, /class="marker-label"[^>]*>classifier</);
  assert.match(svg, /<clipPath id="clip0">[\s\S]*clip-path="url\(#clip0\)"/);
  const second = lineChart({
    series: [{ color: "#111", segments: [[[0, 1]]] }],
    xLabel: "x",
    yLabel: "y",
  });
  assert.match(second, /id="clip1"/);
  resetClipIds();
  assert.match(
    lineChart({ series: [{ color: "#111", segments: [[[0, 1]]] }], xLabel: "x", yLabel: "y" }),
    /id="clip0"/,
  );
});

Deno.test("lineChart: yClamp drops dots outside the clamped range", () => {
  const svg = lineChart({
    series: [{ color: "#111", dots: true, segments: [[[0, 0.5], [1, 0.9], [2, 1.4]]] }],
    xLabel: "epoch",
    yLabel: "accuracy",
    yClamp: [0, 1],
  });
  assert.equal(svg.match(/<circle /g)?.length, 2);
});
