/**
 * fitlam's SVG line chart: nice ticks, stage markers, a legend, dots for
 * short series. The training report inlines it ({@linkcode lineChart});
 * `chart_file.ts` makes a standalone file of it (range tests, experiments).
 *
 * @module
 */

import { escapeHtml } from "../../shared/html.ts";
import { groupThousands } from "../../shared/progress.ts";

/** An `[x, y]` data point. */
export type Point = [number, number];

/** One line of a chart, possibly broken into segments. */
export interface Series {
  /** Legend text; series without a label are left out of the legend. */
  label?: string;
  /** Stroke (and dot) colour. */
  color: string;
  /** Polylines; a gap (e.g. a stage boundary) starts a new one. */
  segments: Point[][];
  /** Stroke opacity (default 1). */
  opacity?: number;
  /** Stroke width in pixels (default 1.5). */
  strokeWidth?: number;
  /** Draw a dot on each point (for short series such as epochs). */
  dots?: boolean;
  /** SVG stroke-dasharray. */
  dash?: string;
}

/** A labelled vertical dashed line, e.g. where a stage starts. */
export interface Marker {
  /** Data x of the line. */
  x: number;
  /** Text above the plot, beside the line. */
  label: string;
}

/** What {@linkcode lineChart} draws and how. */
export interface ChartSpec {
  /** The lines, drawn in order; labelled ones make the legend. */
  series: Series[];
  /** x axis title. */
  xLabel: string;
  /** y axis title. */
  yLabel: string;
  /** Width in pixels (default 1000). */
  width?: number;
  /** Height in pixels (default 300). */
  height?: number;
  /** The x range drawn (default: the data's). */
  xDomain?: [number, number];
  /** Only integer x ticks (steps, epochs). */
  xIntegers?: boolean;
  /** Labelled vertical lines, e.g. stage starts. */
  markers?: Marker[];
  /** x tick labels (default {@linkcode formatTick}), e.g. `1e-3` for a log10 axis. */
  xFormat?: (v: number, step: number) => string;
  /** y tick labels (default {@linkcode formatTick}). */
  yFormat?: (v: number, step: number) => string;
  /** Clamp the y range to this interval (e.g. accuracy to [0, 1]). */
  yClamp?: [number, number];
  /**
   * Where the labelled series are listed: in a row above the plot (default),
   * or in a column right of it, which holds many series.
   */
  legend?: "top" | "right";
}

/** Result of {@linkcode niceTicks}. */
export interface Ticks {
  /** First tick, at or below the range's minimum. */
  lo: number;
  /** Last tick, at or above the range's maximum. */
  hi: number;
  /** Distance between ticks. */
  step: number;
  /** The ticks from `lo` to `hi`. */
  values: number[];
}

/** Tick label with as many digits as the tick step needs. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  if (step < 0.01) {
    // Mantissa digits enough to tell neighbouring ticks apart.
    const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v))) - Math.floor(Math.log10(step)));
    const [m, e] = v.toExponential(Math.min(digits, 3)).split("e");
    return `${m.includes(".") ? m.replace(/\.?0+$/, "") : m}e${e.replace("+", "")}`;
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (decimals === 0) return groupThousands(v);
  return v.toFixed(decimals);
}

/** Round tick values (1, 2, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count: number, minStep = 0): Ticks {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  let step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  step = Math.max(step, minStep);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const values: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-6; i++) {
    // toPrecision strips float noise such as 0.30000000000000004.
    values.push(Number((lo + i * step).toPrecision(12)));
  }
  return { lo, hi, step, values };
}

/** Smallest and largest value; `undefined` when there are none. */
export function extent(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** A coordinate rounded to one decimal: below a pixel, and it keeps big charts small. */
function coord(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

/** Chart geometry: size, margins, plot area, ticks and data-to-pixel scales. */
interface Frame {
  width: number;
  height: number;
  m: { left: number; right: number; top: number; bottom: number };
  /** Plot width and height. */
  pw: number;
  ph: number;
  /** The x range drawn. */
  x0: number;
  x1: number;
  xt: Ticks;
  yt: Ticks;
  sx: (x: number) => number;
  sy: (y: number) => number;
}

function frameOf(spec: ChartSpec): Frame {
  const width = spec.width ?? 1000;
  const height = spec.height ?? 300;
  const small = width < 600;
  const right = spec.legend === "right";
  // Top margin: legend row (unless the legend is at the right), then a row for stage labels.
  const m = {
    left: small ? 58 : 70,
    right: right ? 16 + RIGHT_LEGEND_WIDTH : 16,
    top: (right ? 14 : 30) + (spec.markers?.length ? 16 : 0),
    bottom: 44,
  };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = spec.series.flatMap((s) => s.segments.flat());
  // No points at all: an empty frame rather than a failure.
  const xs = extent(spec.xDomain ?? all.map((p) => p[0])) ?? [0, 1];
  let ys = extent(all.map((p) => p[1])) ?? [0, 1];
  // A range of rounding noise only is drawn as flat, or it would get millions of ticks.
  if (ys[1] - ys[0] <= 1e-9 * Math.max(Math.abs(ys[0]), Math.abs(ys[1]))) ys = [ys[0], ys[0]];
  if (spec.yClamp) {
    ys = [Math.max(spec.yClamp[0], ys[0]), Math.min(spec.yClamp[1], ys[1])];
  }
  const xt = niceTicks(xs[0], xs[1], Math.max(2, Math.round(pw / 110)), spec.xIntegers ? 1 : 0);
  const yt = niceTicks(ys[0], ys[1], Math.max(2, Math.round(ph / 45)));
  // The x axis spans the data exactly: nice-rounding it would leave blank space.
  const [x0, x1] = xs[0] === xs[1] ? [xt.lo, xt.hi] : xs;
  const sx = (x: number) => m.left + (x - x0) / (x1 - x0) * pw;
  const sy = (y: number) => m.top + ph - (y - yt.lo) / (yt.hi - yt.lo) * ph;
  return { width, height, m, pw, ph, x0, x1, xt, yt, sx, sy };
}

/** Horizontal grid lines with their y tick labels. */
function yGrid(f: Frame, yFormat: (v: number, step: number) => string): string[] {
  const { m, pw, yt } = f;
  return yt.values.flatMap((v) => {
    const y = coord(f.sy(v));
    return [
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${m.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${
        escapeHtml(yFormat(v, yt.step))
      }</text>`,
    ];
  });
}

/** x tick marks with their labels, for ticks inside the drawn x range. */
function xTicks(f: Frame, xFormat: (v: number, step: number) => string): string[] {
  const { m, ph, xt } = f;
  return xt.values.flatMap((v) => {
    if (v < f.x0 - 1e-9 || v > f.x1 + 1e-9) return [];
    const x = coord(f.sx(v));
    return [
      `<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" class="axis"/>`,
      `<text x="${x}" y="${m.top + ph + 18}" class="tick" text-anchor="middle">${
        escapeHtml(xFormat(v, xt.step))
      }</text>`,
    ];
  });
}

/** Dashed vertical marker lines, labelled above the plot. */
function markerLines(markers: Marker[], f: Frame): string[] {
  const { m, ph } = f;
  return markers.flatMap((mk) => {
    const x = coord(f.sx(mk.x));
    // Labels that would run past the right edge go left of their line.
    const label = f.sx(mk.x) + 5 + mk.label.length * 6.5 > f.width - m.right
      ? `<text x="${coord(f.sx(mk.x) - 5)}" y="${
        m.top - 5
      }" class="marker-label" text-anchor="end">${escapeHtml(mk.label)}</text>`
      : `<text x="${coord(f.sx(mk.x) + 5)}" y="${m.top - 5}" class="marker-label">${
        escapeHtml(mk.label)
      }</text>`;
    return [`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" class="marker"/>`, label];
  });
}

/** One polyline per non-empty segment, and the dots to draw (unclipped) on top. */
function seriesLines(series: Series[], f: Frame): { lines: string[]; dots: string[] } {
  const lines: string[] = [];
  const dots: string[] = [];
  for (const s of series) {
    const attrs = `stroke="${s.color}" stroke-width="${s.strokeWidth ?? 1.5}"` +
      (s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : "") +
      (s.dash ? ` stroke-dasharray="${s.dash}"` : "");
    for (const seg of s.segments) {
      if (seg.length === 0) continue;
      const pts = seg.map(([x, y]) => `${coord(f.sx(x))},${coord(f.sy(y))}`).join(" ");
      lines.push(`<polyline points="${pts}" fill="none" ${attrs} stroke-linejoin="round"/>`);
      if (s.dots || seg.length === 1) {
        for (const [x, y] of seg) {
          if (y < f.yt.lo || y > f.yt.hi) continue; // clamped away (e.g. accuracy > 1)
          dots.push(
            `<circle cx="${coord(f.sx(x))}" cy="${coord(f.sy(y))}" r="3.5" fill="${s.color}"/>`,
          );
        }
      }
    }
  }
  return { lines, dots };
}

/** The left and bottom axis lines and the axis labels. */
function axes(spec: ChartSpec, f: Frame): string[] {
  const { m, pw, ph } = f;
  return [
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" class="axis"/>`,
    `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" class="axis"/>`,
    `<text x="${m.left + pw / 2}" y="${f.height - 6}" class="label" text-anchor="middle">${
      escapeHtml(spec.xLabel)
    }</text>`,
    `<text x="14" y="${
      m.top + ph / 2
    }" class="label" text-anchor="middle" transform="rotate(-90 14 ${m.top + ph / 2})">${
      escapeHtml(spec.yLabel)
    }</text>`,
  ];
}

/** Width of a legend column right of the plot. */
const RIGHT_LEGEND_WIDTH = 190;

/** The legend's line sample for one series. */
function legendLine(s: Series, x: number, y: number): string {
  return `<line x1="${x}" x2="${x + 20}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="3"` +
    (s.opacity !== undefined ? ` stroke-opacity="${Math.max(s.opacity, 0.4)}"` : "") +
    (s.dash ? ` stroke-dasharray="${s.dash}"` : "") + `/>`;
}

/** Legend in a column right of the plot, one series a row, as many as fit its height. */
function rightLegend(series: Series[], f: Frame): string[] {
  const x = f.width - RIGHT_LEGEND_WIDTH;
  return series.filter((s) => s.label).flatMap((s, i) => {
    const y = f.m.top + 8 + i * 16;
    if (y > f.m.top + f.ph) return [];
    return [
      legendLine(s, x, y),
      `<text x="${x + 25}" y="${y}" class="legend" dominant-baseline="middle">${
        escapeHtml(s.label!)
      }</text>`,
    ];
  });
}

/** Legend along the top, right-aligned; widths are estimated from text length. */
function legend(series: Series[], f: Frame): string[] {
  const out: string[] = [];
  let lx = f.width - f.m.right;
  for (const s of series.filter((s) => s.label).reverse()) {
    const w = 28 + s.label!.length * 7;
    lx -= w;
    out.push(
      legendLine(s, lx, 14),
      `<text x="${lx + 25}" y="14" class="legend" dominant-baseline="middle">${
        escapeHtml(s.label!)
      }</text>`,
    );
    lx -= 10;
  }
  return out;
}

/**
 * The elements of a line chart for `spec` (everything inside its `<svg>`),
 * clipped to the plot by the clip path `clipId`.
 */
export function chartElements(spec: ChartSpec, clipId: string): string[] {
  const f = frameOf(spec);
  const { m, pw, ph } = f;
  const { lines, dots } = seriesLines(spec.series, f);
  return [
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" class="plot"/>`,
    ...yGrid(f, spec.yFormat ?? formatTick),
    ...xTicks(f, spec.xFormat ?? formatTick),
    ...markerLines(spec.markers ?? [], f),
    `<clipPath id="${clipId}"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/>`,
    `</clipPath><g clip-path="url(#${clipId})">`,
    ...lines,
    `</g>`,
    // Dots are drawn unclipped: points on the plot edge would otherwise be cut in half.
    ...dots,
    ...axes(spec, f),
    ...(spec.legend === "right" ? rightLegend(spec.series, f) : legend(spec.series, f)),
  ];
}

/**
 * Renders series as an inline SVG line chart: grid, ticks, stage markers,
 * clipped polylines, dots, axis labels and a legend. Its look comes from the
 * page's style sheet (`CHART_CSS` in style.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineChart } from "./chart.ts";
 * const svg = lineChart({
 *   series: [{ label: "fwd", color: "#2563eb", segments: [[[0, 2], [1, 1]]] }],
 *   xLabel: "step",
 *   yLabel: "loss",
 * });
 * assert.match(svg, /^<svg class="chart"/);
 * assert.equal(svg.match(/<polyline/g)?.length, 1);
 * ```
 */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 1000, height = spec.height ?? 300;
  // Each chart gets its own clip id so several charts can share a page.
  return [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    ...chartElements(spec, `clip${clipCounter++}`),
    `</svg>`,
  ].join("\n");
}

let clipCounter = 0;

/** Restarts the chart clip ids at `clip0`, so the same rows render the same page. */
export function resetClipIds(): void {
  clipCounter = 0;
}
