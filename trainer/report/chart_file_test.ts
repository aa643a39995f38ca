import assert from "node:assert/strict";
import { chartFile } from "./chart_file.ts";
import { CHART_CSS } from "./style.ts";

Deno.test("chartFile: a standalone document: namespace, own style, background, escaped title", () => {
  const svg = chartFile({
    title: "loss <fwd & bwd>",
    xLabel: "step",
    yLabel: "loss",
    series: [{ label: "fwd", color: "#111", segments: [[[0, 3], [1, 2]]] }],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" [^>]*width="640" height="384"/);
  assert.ok(svg.includes(`<style>${CHART_CSS}</style>`));
  assert.match(svg, /<rect width="640" height="384" fill="#fff"\/>/);
  assert.ok(svg.includes(">loss &#60;fwd &#38; bwd&#62;</text>"));
  assert.ok(svg.endsWith("</svg>\n"));
  // Every opened group is closed: the chart sits in one group below the title.
  assert.equal(svg.match(/<g[ >]/g)?.length, svg.match(/<\/g>/g)?.length);
});

Deno.test("chartFile: one line per series, dashed ones marked, every label in the right legend", () => {
  const series = [
    { label: "fwd", color: "#111", segments: [[[0, 3], [1, 2], [2, 1]] as [number, number][]] },
    {
      label: "bwd",
      color: "#222",
      segments: [[[0, 4], [2, 2]] as [number, number][]],
      dash: "5 3",
    },
  ];
  const svg = chartFile({ title: "t", xLabel: "step", yLabel: "loss", series, legend: "right" });
  const lines = svg.match(/<polyline [^>]*>/g) ?? [];
  assert.equal(lines.length, 2);
  assert.ok(lines.find((l) => l.includes('stroke="#222"'))!.includes("stroke-dasharray"));
  assert.ok(!lines.find((l) => l.includes('stroke="#111"'))!.includes("stroke-dasharray"));
  const legend = [...svg.matchAll(/<text x="(\d+)"[^>]*class="legend"[^>]*>([^<]*)</g)];
  assert.deepEqual(legend.map((m) => m[2]), ["fwd", "bwd"]);
  // The column sits right of the plot.
  const plotRight = Number(svg.match(/x2="([\d.]+)"[^>]*class="grid"/)![1]);
  assert.ok(legend.every((m) => Number(m[1]) > plotRight), `${legend.map((m) => m[1])}`);
});

Deno.test("chartFile: a series flat up to rounding noise gets a few ticks, not millions", () => {
  const svg = chartFile({
    title: "flat",
    xLabel: "x",
    yLabel: "y",
    series: [{ color: "#000", segments: [[[0, 1], [1, 1 + 2e-16], [2, 1 - 7e-16]]] }],
  });
  assert.ok(svg.length < 10_000, `${svg.length} characters`);
  const yTicks = svg.match(/class="tick" text-anchor="end"/g) ?? [];
  assert.ok(yTicks.length >= 2 && yTicks.length <= 24, `${yTicks.length} y ticks`);
});

Deno.test("chartFile: xFormat labels the x axis; integer axes draw whole ticks only", () => {
  const svg = chartFile({
    title: "lr",
    xLabel: "learning rate",
    yLabel: "loss",
    xFormat: (t) => `1e${t}`,
    xIntegers: true,
    series: [{ color: "#000", segments: [[[-6, 3], [-2, 1]]] }],
  });
  assert.ok(svg.includes(">1e-4<"));
  const xTicks = [...svg.matchAll(/class="tick" text-anchor="middle">([^<]*)</g)].map((m) => m[1]);
  assert.ok(xTicks.length >= 2 && xTicks.every((t) => /^1e-\d$/.test(t)), `${xTicks}`);
});

Deno.test("chartFile: no points at all still gives an empty chart", () => {
  const svg = chartFile({ title: "none", xLabel: "x", yLabel: "y", series: [] });
  assert.ok(svg.startsWith("<svg") && !svg.includes("NaN"));
});
