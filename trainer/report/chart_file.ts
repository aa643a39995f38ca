/**
 * A line chart as a standalone SVG file (its own style, background and
 * title), for plots written beside a run or committed next to RESULTS.md:
 * the learning-rate range test and the experiments' summaries. The same
 * chart as the training report's ({@linkcode lineChart}).
 *
 * @module
 */
import { escapeHtml } from "../../shared/html.ts";
import { chartElements, type ChartSpec } from "./chart.ts";
import { CHART_CSS } from "./style.ts";

/** Height of the title row above the chart. */
const TITLE_HEIGHT = 24;

/** A chart file's contents: a chart and its title. */
export interface ChartFileSpec extends ChartSpec {
  /** Shown above the chart. */
  title: string;
}

/**
 * Renders `spec` as an SVG document (640 × 360 plus the title row unless
 * `width`/`height` say otherwise), readable with no page around it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chartFile } from "./chart_file.ts";
 * const svg = chartFile({
 *   title: "loss",
 *   xLabel: "step",
 *   yLabel: "loss",
 *   series: [{ label: "fwd", color: "#000", segments: [[[0, 2], [1, 1]]] }],
 * });
 * assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
 * assert.match(svg, /<style>/);
 * ```
 */
export function chartFile(spec: ChartFileSpec): string {
  const chart = { ...spec, width: spec.width ?? 640, height: spec.height ?? 360 };
  const width = chart.width, height = chart.height + TITLE_HEIGHT;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" role="img">`,
    `<style>${CHART_CSS}</style>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="17" text-anchor="middle" font-size="13">${
      escapeHtml(spec.title)
    }</text>`,
    `<g transform="translate(0 ${TITLE_HEIGHT})">`,
    // A file holds one chart: its clip id cannot clash.
    ...chartElements(chart, "clip"),
    `</g>`,
    `</svg>`,
  ].join("\n") + "\n";
}
