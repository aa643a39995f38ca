/**
 * A dependency-free SVG line chart, small enough to commit next to
 * RESULTS.md; also the trainer's learning-rate range test plot.
 *
 * @module
 */

import { escapeHtml } from "./html.ts";

/** One line of a chart. */
export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

/** Chart contents. */
export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  integerX?: boolean;
  /** Tick labels of the x axis (default: the number), e.g. `10^t` for a log axis. */
  xTickFormat?: (t: number) => string;
  width?: number;
  height?: number;
}

function niceTicks(lo: number, hi: number, n: number): number[] {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  // Integer steps: adding a tiny step to a large value may not move it at all.
  const first = Math.ceil(lo / step), last = Math.floor(hi / step + 1e-9);
  for (let k = first; k <= last && ticks.length <= 4 * n; k++) ticks.push(+(k * step).toFixed(10));
  return ticks;
}

/**
 * Renders a line chart with axes, ticks and a legend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgLineChart } from "./svg.ts";
 * const svg = svgLineChart({
 *   title: "t", xLabel: "x", yLabel: "y",
 *   series: [{ name: "a", color: "#000", points: [[0, 1], [1, 2]] }],
 * });
 * assert.match(svg, /^<svg/);
 * ```
 */
export function svgLineChart(c: Chart): string {
  const W = c.width ?? 640, H = c.height ?? 360;
  const legendW = 190;
  const L = 56, R = legendW + 10, T = 30, B = 44;
  const pts = c.series.flatMap((s) => s.points);
  let x0 = Math.min(...pts.map((p) => p[0])), x1 = Math.max(...pts.map((p) => p[0]));
  let y0 = Math.min(...pts.map((p) => p[1])), y1 = Math.max(...pts.map((p) => p[1]));
  if (!pts.length) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 === x0) x1 = x0 + 1;
  // A flat series (rounding noise only) gets a visible band around its value.
  const mag = Math.max(Math.abs(y0), Math.abs(y1));
  if (y1 - y0 <= 1e-9 * mag) y0 -= mag ? mag * 0.05 : 1, y1 += mag ? mag * 0.05 : 1;
  const pad = (y1 - y0) * 0.05;
  y0 -= pad, y1 += pad;
  const px = (x: number) => +(L + ((x - x0) / (x1 - x0)) * (W - L - R)).toFixed(1);
  const py = (y: number) => +(H - B - ((y - y0) / (y1 - y0)) * (H - T - B)).toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${escapeHtml(c.title)}</text>`,
  ];
  const xt = c.integerX
    ? niceTicks(x0, x1, 8).filter((t) => Number.isInteger(t))
    : niceTicks(x0, x1, 6);
  for (const t of xt) {
    out.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`,
      `<text x="${px(t)}" y="${H - B + 14}" text-anchor="middle">${
        escapeHtml(c.xTickFormat ? c.xTickFormat(t) : String(t))
      }</text>`,
    );
  }
  for (const t of niceTicks(y0, y1, 6)) {
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${py(t).toFixed(1)}" y2="${
        py(t).toFixed(1)
      }" stroke="#eee"/>`,
      `<text x="${L - 4}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`,
    );
  }
  out.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${
      H - T - B
    }" fill="none" stroke="#999"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(c.xLabel)}</text>`,
    `<text transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${
      escapeHtml(c.yLabel)
    }</text>`,
  );
  c.series.forEach((s, i) => {
    const d = s.points.map((p, k) =>
      `${k ? "L" : "M"}${px(p[0]).toFixed(1)} ${py(p[1]).toFixed(1)}`
    )
      .join("");
    const dash = s.dashed ? ` stroke-dasharray="5 3"` : "";
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"${dash}/>`);
    if (s.points.length === 1 || c.integerX) {
      for (const p of s.points) {
        out.push(
          `<circle cx="${px(p[0]).toFixed(1)}" cy="${
            py(p[1]).toFixed(1)
          }" r="2" fill="${s.color}"/>`,
        );
      }
    }
    const ly = T + 6 + i * 14;
    if (ly < H - B) {
      out.push(
        `<line x1="${W - legendW}" x2="${
          W - legendW + 18
        }" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
        `<text x="${W - legendW + 22}" y="${ly + 4}">${escapeHtml(s.name)}</text>`,
      );
    }
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
