import assert from "node:assert/strict";
import { svgLineChart } from "./svg.ts";

Deno.test("svgLineChart: one path per series, labels escaped, dashed series marked", () => {
  const svg = svgLineChart({
    title: "loss <fwd & bwd>",
    xLabel: "step",
    yLabel: "loss",
    series: [
      { name: "fwd", color: "#111", points: [[0, 3], [1, 2], [2, 1]] },
      { name: "bwd", color: "#222", points: [[0, 4], [2, 2]], dashed: true },
    ],
  });
  assert.ok(svg.startsWith("<svg"));
  assert.ok(svg.includes("loss &#60;fwd &#38; bwd&#62;"));
  const paths = svg.match(/<path d="M[^>]*>/g) ?? [];
  assert.equal(paths.filter((p) => p.includes('stroke="#111"')).length, 1);
  assert.ok(paths.filter((p) => p.includes('stroke="#222"')).every((p) => p.includes("dasharray")));
  assert.ok(
    paths.filter((p) => p.includes('stroke="#111"')).every((p) => !p.includes("dasharray")),
  );
});

Deno.test("svgLineChart: a series flat up to rounding noise gets a few ticks, not millions", () => {
  const svg = svgLineChart({
    title: "flat",
    xLabel: "x",
    yLabel: "y",
    series: [{ name: "a", color: "#000", points: [[0, 1], [1, 1 + 2e-16], [2, 1 - 7e-16]] }],
  });
  assert.ok(svg.length < 10_000, `${svg.length} characters`);
  const yTicks = svg.match(/text-anchor="end">/g) ?? [];
  assert.ok(yTicks.length >= 2 && yTicks.length <= 24, `${yTicks.length} y ticks`);
});

Deno.test("svgLineChart: xTickFormat labels the x axis", () => {
  const svg = svgLineChart({
    title: "lr",
    xLabel: "learning rate",
    yLabel: "loss",
    xTickFormat: (t) => `1e${t}`,
    series: [{ name: "a", color: "#000", points: [[-6, 3], [-2, 1]] }],
  });
  assert.ok(svg.includes(">1e-4<"));
});
