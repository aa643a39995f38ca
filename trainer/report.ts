/**
 * A self-contained HTML training report built from `metrics.jsonl`.
 *
 * The page needs no network: CSS is inline, charts are inline SVG drawn here,
 * there is no script, and a Content-Security-Policy forbids loading anything.
 * Every piece of text from the metrics (labels, config values) is escaped.
 *
 * Rows understood (fields may be missing; unknown rows are ignored):
 *
 * - `{"type":"step","stage","direction","epoch","step","loss","lr","tokensPerSec","time"}`
 * - `{"type":"valid","stage","direction","epoch","loss","perplexity","accuracy"}`
 * - `{"type":"test","direction","accuracy","error","labels","confusion"}`
 * - `{"type":"baseline","name","accuracy","C","seconds","labels","confusion"}`: a
 *   bag-of-words baseline (`shared/baseline/`), shown beside the test accuracies
 * - `{"type":"run","config","machine","startedAt"}` and `{"type":"end","seconds"}`
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./report.ts";
 * const html = renderReport([
 *   { type: "step", stage: "pretrain", direction: "fwd", step: 0, loss: 5.2, lr: 1e-3 },
 *   { type: "test", direction: "fwd", accuracy: 0.9, labels: ["ham", "spam"], confusion: [[5, 1], [0, 4]] },
 * ]);
 * assert.match(html, /<svg/);
 * ```
 *
 * @module
 */

import { formatNumber, groupThousands } from "../shared/progress.ts";
import { type RangeResult, rangeTestSvg } from "./lr_find.ts";

/** One parsed line of `metrics.jsonl`. */
export type MetricsRow = Record<string, unknown>;

/** Options for {@linkcode renderReport}. */
export interface ReportOptions {
  /** Page heading and `<title>`; defaults to "FitLaM training report". */
  title?: string;
  /** Lines of the metrics file that could not be parsed, noted on the page. */
  skippedLines?: number;
  /** Where the metrics came from, shown under the heading. */
  source?: string;
}

/** Result of {@linkcode parseMetrics}. */
export interface ParsedMetrics {
  /** Rows that parsed as JSON objects, in file order. */
  rows: MetricsRow[];
  /** Non-blank lines that were not JSON objects. */
  skipped: number;
}

const STAGE_ORDER = ["pretrain", "finetune-lm", "classify"];
const STAGE_NAMES: Record<string, string> = {
  "pretrain": "LM pretraining",
  "finetune-lm": "LM fine-tuning",
  "classify": "classifier",
};
const DIRECTION_ORDER = ["fwd", "bwd", "avg"];
const DIRECTION_COLORS: Record<string, string> = {
  fwd: "#2563eb",
  bwd: "#ea580c",
  avg: "#16a34a",
};
const EXTRA_COLORS = ["#9333ea", "#0891b2", "#be123c", "#4d7c0f", "#a16207"];
/**
 * The loss EMA averages over about 2% of a stage's steps, between 5 and 50
 * (fastai's 0.98): a fixed 50-step span lags far behind a short stage.
 */
const EMA_SPAN_FRACTION = 0.02;
const EMA_SPAN_MIN = 5;
const EMA_SPAN_MAX = 50;
/** Series are thinned to about this many x buckets (one per pixel column). */
const MAX_BUCKETS = 900;

// ---------------------------------------------------------------------------
// Parsing and field access

/**
 * Parses `metrics.jsonl` text, skipping (and counting) lines that are not
 * JSON objects, e.g. a last line cut short by a crash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMetrics } from "./report.ts";
 * const { rows, skipped } = parseMetrics('{"type":"end","seconds":3}\n{"type":\n\n');
 * assert.equal(rows.length, 1);
 * assert.equal(skipped, 1);
 * ```
 */
export function parseMetrics(text: string): ParsedMetrics {
  const rows: MetricsRow[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) rows.push(value);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { rows, skipped };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function stageName(stage: string): string {
  return STAGE_NAMES[stage] ?? stage;
}

function byKnownOrder(order: string[]): (a: string, b: string) => number {
  const rank = (s: string) => {
    const i = order.indexOf(s);
    return i < 0 ? order.length : i;
  };
  return (a, b) => rank(a) - rank(b);
}

// ---------------------------------------------------------------------------
// Number formatting

function pct(v: number | undefined, digits = 2): string {
  return v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`;
}

function fmt(v: number | undefined): string {
  return v === undefined ? "—" : formatNumber(v);
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

/** Tick label with as many digits as the tick step needs. */
function formatTick(v: number, step: number): string {
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

// ---------------------------------------------------------------------------
// SVG line charts

type Point = [number, number];

interface Series {
  /** Legend text; series without a label are left out of the legend. */
  label?: string;
  color: string;
  /** Polylines; a gap (e.g. a stage boundary) starts a new one. */
  segments: Point[][];
  opacity?: number;
  strokeWidth?: number;
  /** Draw a dot on each point (for short series such as epochs). */
  dots?: boolean;
  /** SVG stroke-dasharray. */
  dash?: string;
}

interface Marker {
  x: number;
  label: string;
}

interface ChartSpec {
  series: Series[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  xDomain?: [number, number];
  /** Only integer x ticks (steps, epochs). */
  xIntegers?: boolean;
  markers?: Marker[];
  yFormat?: (v: number, step: number) => string;
  /** Clamp the y range to this interval (e.g. accuracy to [0, 1]). */
  yClamp?: [number, number];
}

interface Ticks {
  lo: number;
  hi: number;
  step: number;
  values: number[];
}

/** Round tick values (1, 2, 5 × 10^k) covering [min, max]. */
function niceTicks(min: number, max: number, count: number, minStep = 0): Ticks {
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

function extent(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function c(v: number): string {
  // One decimal is below a pixel and keeps big charts small.
  return (Math.round(v * 10) / 10).toString();
}

function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 1000;
  const height = spec.height ?? 300;
  const small = width < 600;
  // Top margin: legend row, then a row for stage labels above the plot.
  const m = { left: small ? 58 : 70, right: 16, top: spec.markers?.length ? 46 : 30, bottom: 44 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = spec.series.flatMap((s) => s.segments.flat());
  const xs = extent(spec.xDomain ?? all.map((p) => p[0]))!;
  let ys = extent(all.map((p) => p[1]))!;
  if (spec.yClamp) {
    ys = [Math.max(spec.yClamp[0], ys[0]), Math.min(spec.yClamp[1], ys[1])];
  }
  const xt = niceTicks(xs[0], xs[1], Math.max(2, Math.round(pw / 110)), spec.xIntegers ? 1 : 0);
  const yt = niceTicks(ys[0], ys[1], Math.max(2, Math.round(ph / 45)));
  // The x axis spans the data exactly: nice-rounding it would leave blank space.
  const [x0, x1] = xs[0] === xs[1] ? [xt.lo, xt.hi] : xs;
  const sx = (x: number) => m.left + (x - x0) / (x1 - x0) * pw;
  const sy = (y: number) => m.top + ph - (y - yt.lo) / (yt.hi - yt.lo) * ph;
  const yFormat = spec.yFormat ?? formatTick;
  const out: string[] = [];
  out.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">`,
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" class="plot"/>`,
  );
  for (const v of yt.values) {
    const y = c(sy(v));
    out.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" class="grid"/>`,
      `<text x="${m.left - 6}" y="${y}" class="tick" text-anchor="end" dominant-baseline="middle">${
        escapeHtml(yFormat(v, yt.step))
      }</text>`,
    );
  }
  for (const v of xt.values) {
    if (v < x0 - 1e-9 || v > x1 + 1e-9) continue;
    const x = c(sx(v));
    out.push(
      `<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" class="axis"/>`,
      `<text x="${x}" y="${m.top + ph + 18}" class="tick" text-anchor="middle">${
        escapeHtml(formatTick(v, xt.step))
      }</text>`,
    );
  }
  for (const mk of spec.markers ?? []) {
    const x = c(sx(mk.x));
    out.push(
      `<line x1="${x}" x2="${x}" y1="${m.top}" y2="${m.top + ph}" class="marker"/>`,
      // Labels that would run past the right edge go left of their line.
      sx(mk.x) + 5 + mk.label.length * 6.5 > width - m.right
        ? `<text x="${c(sx(mk.x) - 5)}" y="${m.top - 5}" class="marker-label" text-anchor="end">${
          escapeHtml(mk.label)
        }</text>`
        : `<text x="${c(sx(mk.x) + 5)}" y="${m.top - 5}" class="marker-label">${
          escapeHtml(mk.label)
        }</text>`,
    );
  }
  out.push(`<clipPath id="clip"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/>`);
  out.push(`</clipPath><g clip-path="url(#clip)">`);
  const dots: string[] = [];
  for (const s of spec.series) {
    const attrs = `stroke="${s.color}" stroke-width="${s.strokeWidth ?? 1.5}"` +
      (s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : "") +
      (s.dash ? ` stroke-dasharray="${s.dash}"` : "");
    for (const seg of s.segments) {
      if (seg.length === 0) continue;
      const pts = seg.map(([x, y]) => `${c(sx(x))},${c(sy(y))}`).join(" ");
      out.push(`<polyline points="${pts}" fill="none" ${attrs} stroke-linejoin="round"/>`);
      if (s.dots || seg.length === 1) {
        for (const [x, y] of seg) {
          if (y < yt.lo || y > yt.hi) continue; // clamped away (e.g. accuracy > 1)
          dots.push(`<circle cx="${c(sx(x))}" cy="${c(sy(y))}" r="3.5" fill="${s.color}"/>`);
        }
      }
    }
  }
  out.push(`</g>`);
  // Dots are drawn unclipped: points on the plot edge would otherwise be cut in half.
  out.push(...dots);
  out.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + ph}" class="axis"/>`,
    `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" class="axis"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 6}" class="label" text-anchor="middle">${
      escapeHtml(spec.xLabel)
    }</text>`,
    `<text x="14" y="${
      m.top + ph / 2
    }" class="label" text-anchor="middle" transform="rotate(-90 14 ${m.top + ph / 2})">${
      escapeHtml(spec.yLabel)
    }</text>`,
  );
  // Legend along the top, right-aligned; widths are estimated from text length.
  const legend = spec.series.filter((s) => s.label);
  let lx = width - m.right;
  for (const s of [...legend].reverse()) {
    const w = 28 + s.label!.length * 7;
    lx -= w;
    out.push(
      `<line x1="${lx}" x2="${lx + 20}" y1="14" y2="14" stroke="${s.color}" stroke-width="3"` +
        (s.opacity !== undefined ? ` stroke-opacity="${Math.max(s.opacity, 0.4)}"` : "") +
        (s.dash ? ` stroke-dasharray="5 3"` : "") + `/>`,
      `<text x="${lx + 25}" y="14" class="legend" dominant-baseline="middle">${
        escapeHtml(s.label!)
      }</text>`,
    );
    lx -= 10;
  }
  out.push(`</svg>`);
  // Each chart gets its own clip id so several charts can share a page.
  return uniqueClip(out.join("\n"));
}

let clipCounter = 0;
function uniqueClip(svg: string): string {
  const id = `clip${clipCounter++}`;
  return svg.replace(`<clipPath id="clip">`, `<clipPath id="${id}">`).replace(
    `clip-path="url(#clip)"`,
    `clip-path="url(#${id})"`,
  );
}

/** Keeps min and max of each x bucket, so spikes survive thinning. */
function thinEnvelope(points: Point[], x0: number, x1: number): Point[] {
  if (points.length <= 2 * MAX_BUCKETS) return points;
  const width = (x1 - x0) / MAX_BUCKETS || 1;
  const out: Point[] = [];
  let bucket = NaN;
  let lo: Point | undefined, hi: Point | undefined;
  const flush = () => {
    if (!lo || !hi) return;
    if (lo === hi) out.push(lo);
    else if (lo[0] <= hi[0]) out.push(lo, hi);
    else out.push(hi, lo);
  };
  for (const p of points) {
    const b = Math.floor((p[0] - x0) / width);
    if (b !== bucket) {
      flush();
      bucket = b;
      lo = hi = p;
    } else {
      if (p[1] < lo![1]) lo = p;
      if (p[1] > hi![1]) hi = p;
    }
  }
  flush();
  return out;
}

/** Keeps the last point of each x bucket (for smooth series). */
function thinLast(points: Point[], x0: number, x1: number): Point[] {
  if (points.length <= MAX_BUCKETS) return points;
  const width = (x1 - x0) / MAX_BUCKETS || 1;
  const out: Point[] = [];
  for (let i = 0; i < points.length; i++) {
    const next = points[i + 1];
    const b = Math.floor((points[i][0] - x0) / width);
    if (!next || Math.floor((next[0] - x0) / width) !== b || i === 0) out.push(points[i]);
  }
  return out;
}

function colorFor(dir: string, known: string[]): string {
  const fixed = DIRECTION_COLORS[dir];
  if (fixed) return fixed;
  const i = known.filter((d) => !DIRECTION_COLORS[d]).indexOf(dir);
  return EXTRA_COLORS[Math.max(0, i) % EXTRA_COLORS.length];
}

// ---------------------------------------------------------------------------
// Training steps

interface StepPoint {
  x: number;
  stage: string;
  loss?: number;
  lr?: number;
  tokensPerSec?: number;
  time?: number;
}

interface StageRun {
  stage: string;
  direction: string;
  points: StepPoint[];
  epochs: Set<number>;
}

interface StepData {
  directions: string[];
  /** Per direction, contiguous runs of one stage, in order. */
  runs: Map<string, StageRun[]>;
  maxX: number;
}

function collectSteps(rows: MetricsRow[]): StepData {
  const runs = new Map<string, StageRun[]>();
  const counters = new Map<string, number>();
  let maxX = 0;
  for (const row of rows) {
    if (row.type !== "step") continue;
    const direction = str(row.direction) ?? "all";
    const stage = str(row.stage) ?? "unknown stage";
    // x is the step's index among this direction's step rows: one continuous axis
    // through all three stages.
    const x = counters.get(direction) ?? 0;
    counters.set(direction, x + 1);
    maxX = Math.max(maxX, x);
    let list = runs.get(direction);
    if (!list) runs.set(direction, list = []);
    let run = list.at(-1);
    if (!run || run.stage !== stage) {
      list.push(run = { stage, direction, points: [], epochs: new Set() });
    }
    const epoch = num(row.epoch);
    if (epoch !== undefined) run.epochs.add(epoch);
    const t = typeof row.time === "string" ? Date.parse(row.time) : NaN;
    run.points.push({
      x,
      stage,
      loss: num(row.loss),
      lr: num(row.lr),
      tokensPerSec: num(row.tokensPerSec),
      time: Number.isFinite(t) ? t : undefined,
    });
  }
  const directions = [...runs.keys()].sort(byKnownOrder(DIRECTION_ORDER));
  return { directions, runs, maxX };
}

/** Stage start markers, merged across directions when they (nearly) coincide. */
function stageMarkers(data: StepData): Marker[] {
  const tolerance = Math.max(1, data.maxX * 0.01);
  const found: { x: number; stage: string; dirs: string[] }[] = [];
  for (const dir of data.directions) {
    for (const run of data.runs.get(dir)!) {
      const x = run.points[0].x;
      const same = found.find((f) => f.stage === run.stage && Math.abs(f.x - x) <= tolerance);
      if (same) same.dirs.push(dir);
      else found.push({ x, stage: run.stage, dirs: [dir] });
    }
  }
  const many = data.directions.length > 1;
  return found.sort((a, b) => a.x - b.x).map((f) => ({
    x: f.x,
    label: stageName(f.stage) +
      (many && f.dirs.length < data.directions.length ? ` (${f.dirs.join(", ")})` : ""),
  }));
}

function emaSegments(points: Point[]): Point[] {
  const span = Math.min(EMA_SPAN_MAX, Math.max(EMA_SPAN_MIN, points.length * EMA_SPAN_FRACTION));
  const beta = 1 - 1 / span;
  const out: Point[] = [];
  let avg = 0;
  for (let i = 0; i < points.length; i++) {
    avg = beta * avg + (1 - beta) * points[i][1];
    // Bias correction so the first values are not dragged towards 0.
    out.push([points[i][0], avg / (1 - beta ** (i + 1))]);
  }
  return out;
}

function lossChart(data: StepData, markers: Marker[]): string {
  const xDomain: [number, number] = [0, Math.max(1, data.maxX)];
  const raw: Series[] = [];
  const smooth: Series[] = [];
  for (const dir of data.directions) {
    const color = colorFor(dir, data.directions);
    const rawSegs: Point[][] = [];
    const emaSegs: Point[][] = [];
    // The EMA restarts at each stage: the loss scale changes between stages.
    for (const run of data.runs.get(dir)!) {
      const pts: Point[] = run.points.flatMap((p) => p.loss === undefined ? [] : [[p.x, p.loss]]);
      if (pts.length === 0) continue;
      rawSegs.push(thinEnvelope(pts, ...xDomain));
      emaSegs.push(thinLast(emaSegments(pts), ...xDomain));
    }
    if (rawSegs.length === 0) continue;
    raw.push({ color, segments: rawSegs, opacity: 0.22, strokeWidth: 1 });
    smooth.push({ label: `${dir} (EMA)`, color, segments: emaSegs, strokeWidth: 2 });
  }
  if (smooth.length === 0) return `<p class="empty">No step rows with a loss.</p>`;
  const rawLegend: Series = { label: "raw", color: "#64748b", segments: [], opacity: 0.22 };
  return lineChart({
    series: [...raw, ...smooth, rawLegend],
    xDomain,
    xIntegers: true,
    markers,
    xLabel: "step (per direction, all stages)",
    yLabel: "training loss",
  });
}

function lrChart(data: StepData, markers: Marker[]): string {
  const xDomain: [number, number] = [0, Math.max(1, data.maxX)];
  const series: Series[] = [];
  for (const dir of data.directions) {
    const segs: Point[][] = [];
    for (const run of data.runs.get(dir)!) {
      const pts: Point[] = run.points.flatMap((p) => p.lr === undefined ? [] : [[p.x, p.lr]]);
      if (pts.length > 0) segs.push(thinEnvelope(pts, ...xDomain));
    }
    if (segs.length > 0) {
      series.push({ label: dir, color: colorFor(dir, data.directions), segments: segs });
    }
  }
  if (series.length === 0) return `<p class="empty">No step rows with a learning rate.</p>`;
  // Directions usually share the schedule; dashing the later ones keeps the first visible.
  return lineChart({
    series: series.map((s, i) => i === 0 ? s : { ...s, dash: "7 5" }),
    xDomain,
    xIntegers: true,
    markers,
    xLabel: "step (per direction, all stages)",
    yLabel: "learning rate",
  });
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stageTable(data: StepData): string {
  const rows: string[] = [];
  const runs = data.directions.flatMap((d) => data.runs.get(d)!);
  runs.sort((a, b) =>
    byKnownOrder(STAGE_ORDER)(a.stage, b.stage) ||
    byKnownOrder(data.directions)(a.direction, b.direction)
  );
  for (const run of runs) {
    const losses = run.points.flatMap((p) => p.loss === undefined ? [] : [p.loss]);
    const ema = emaSegments(losses.map((l, i) => [i, l]));
    const times = run.points.flatMap((p) => p.time === undefined ? [] : [p.time]);
    const span = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : undefined;
    const tps = median(run.points.flatMap((p) => p.tokensPerSec ?? []));
    rows.push(
      `<tr><td>${escapeHtml(stageName(run.stage))}</td><td>${
        dirBadge(run.direction, data.directions)
      }</td>` +
        `<td class="num">${groupThousands(run.points.length)}</td>` +
        `<td class="num">${run.epochs.size || "—"}</td>` +
        `<td class="num">${fmt(losses[0])}</td>` +
        `<td class="num">${fmt(ema.at(-1)?.[1])}</td>` +
        `<td class="num">${fmt(tps)}</td>` +
        `<td class="num">${span === undefined ? "—" : formatSeconds(span)}</td></tr>`,
    );
  }
  return `<table class="data"><thead><tr><th>stage</th><th>direction</th><th>steps</th>` +
    `<th>epochs</th><th>first loss</th><th>final loss (EMA)</th><th>median tok/s</th>` +
    `<th>wall time</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function dirBadge(dir: string, known: string[]): string {
  return `<span class="swatch" style="background:${colorFor(dir, known)}"></span>${
    escapeHtml(dir)
  }`;
}

// ---------------------------------------------------------------------------
// Validation

interface ValidPoint {
  epoch: number;
  loss?: number;
  perplexity?: number;
  accuracy?: number;
}

function validSection(rows: MetricsRow[]): string {
  // stage -> direction -> points, in file order
  const byStage = new Map<string, Map<string, ValidPoint[]>>();
  const dirs: string[] = [];
  for (const row of rows) {
    if (row.type !== "valid") continue;
    const stage = str(row.stage) ?? "unknown stage";
    const dir = str(row.direction) ?? "all";
    if (!dirs.includes(dir)) dirs.push(dir);
    let m = byStage.get(stage);
    if (!m) byStage.set(stage, m = new Map());
    let list = m.get(dir);
    if (!list) m.set(dir, list = []);
    const loss = num(row.loss);
    list.push({
      epoch: num(row.epoch) ?? list.length,
      loss,
      // LM rows without perplexity still have a loss: perplexity is exp(loss).
      perplexity: num(row.perplexity) ??
        (stage !== "classify" && loss !== undefined ? Math.exp(loss) : undefined),
      accuracy: num(row.accuracy),
    });
  }
  if (byStage.size === 0) return `<p class="empty">No validation rows.</p>`;
  dirs.sort(byKnownOrder(DIRECTION_ORDER));
  const stages = [...byStage.keys()].sort(byKnownOrder(STAGE_ORDER));
  const panels: string[] = [];
  const table: string[] = [];
  for (const stage of stages) {
    const m = byStage.get(stage)!;
    const pts = [...m.values()].flat();
    // Classifier: accuracy; LM: perplexity; otherwise whatever exists.
    const metric: "accuracy" | "perplexity" | "loss" = stage === "classify" && pts.some((p) =>
        p.accuracy !== undefined
      )
      ? "accuracy"
      : pts.some((p) => p.perplexity !== undefined)
      ? "perplexity"
      : pts.some((p) => p.accuracy !== undefined)
      ? "accuracy"
      : "loss";
    const series: Series[] = [];
    for (const dir of dirs) {
      const list = m.get(dir);
      if (!list) continue;
      const seg: Point[] = list.flatMap((p) => {
        const v = p[metric];
        return v === undefined ? [] : [[p.epoch, v] as Point];
      });
      if (seg.length > 0) {
        series.push({ label: dir, color: colorFor(dir, dirs), segments: [seg], dots: true });
      }
      const values = list.flatMap((p) => p[metric] ?? []);
      const best = metric === "accuracy" ? Math.max(...values) : Math.min(...values);
      const last = list.at(-1)!;
      table.push(
        `<tr><td>${escapeHtml(stageName(stage))}</td><td>${dirBadge(dir, dirs)}</td>` +
          `<td class="num">${list.length}</td><td class="num">${fmt(last.loss)}</td>` +
          `<td>${metric}</td>` +
          `<td class="num">${
            metric === "accuracy" ? pct(last.accuracy) : fmt(last[metric])
          }</td><td class="num">${
            values.length === 0 ? "—" : metric === "accuracy" ? pct(best) : fmt(best)
          }</td></tr>`,
      );
    }
    const title = `<h3>${escapeHtml(stageName(stage))}: ${metric}</h3>`;
    if (series.length === 0) {
      panels.push(`<div class="panel">${title}<p class="empty">No ${metric} values.</p></div>`);
      continue;
    }
    const epochs = series.flatMap((s) => s.segments.flat().map((p) => p[0]));
    panels.push(
      `<div class="panel">${title}${
        lineChart({
          series,
          width: 340,
          height: 240,
          xIntegers: true,
          xDomain: extent(epochs)!,
          xLabel: "epoch",
          yLabel: metric,
          yFormat: metric === "accuracy"
            ? (v, step) => `${formatTick(v * 100, step * 100)}%`
            : undefined,
          yClamp: metric === "accuracy" ? [0, 1] : undefined,
        })
      }</div>`,
    );
  }
  return `<div class="panels">${panels.join("")}</div>` +
    `<table class="data"><thead><tr><th>stage</th><th>direction</th><th>epochs</th>` +
    `<th>last loss</th><th>metric</th><th>last</th><th>best</th></tr></thead>` +
    `<tbody>${table.join("")}</tbody></table>`;
}

// ---------------------------------------------------------------------------
// Test results

interface TestResult {
  direction: string;
  accuracy?: number;
  error?: number;
  labels: string[];
  confusion?: number[][];
  total?: number;
}

/** A square confusion matrix of non-negative counts from a row, its labels and totals. */
function confusionOf(row: MetricsRow): Pick<TestResult, "labels" | "confusion" | "total"> & {
  trace?: number;
} {
  const m = row.confusion;
  // Only square matrices of non-negative counts are drawn.
  const confusion = Array.isArray(m) && m.length > 0 &&
      m.every((r) =>
        Array.isArray(r) && r.length === m.length &&
        r.every((v) => typeof v === "number" && Number.isFinite(v) && v >= 0)
      )
    ? m as number[][]
    : undefined;
  const n = confusion?.length ?? 0;
  const given = Array.isArray(row.labels) ? row.labels : [];
  // Missing or short label lists fall back to class indices.
  const labels = Array.from({ length: n }, (_, i) => {
    const l = given[i];
    return typeof l === "string" || typeof l === "number" ? String(l) : `class ${i}`;
  });
  const total = confusion?.flat().reduce((a, b) => a + b, 0);
  const trace = confusion?.reduce((a, r, i) => a + r[i], 0);
  return { labels, confusion, total, trace };
}

function collectTests(rows: MetricsRow[]): TestResult[] {
  const out: TestResult[] = [];
  for (const row of rows) {
    if (row.type !== "test") continue;
    const { labels, confusion, total, trace } = confusionOf(row);
    const accuracy = num(row.accuracy) ?? (total ? trace! / total : undefined);
    out.push({
      direction: str(row.direction) ?? "all",
      accuracy,
      error: num(row.error) ?? (accuracy === undefined ? undefined : 1 - accuracy),
      labels,
      confusion,
      total,
    });
  }
  return out;
}

/** A bag-of-words baseline's test result (`{"type":"baseline"}` rows); `direction` holds its name. */
interface BaselineResult extends TestResult {
  C?: number;
  seconds?: number;
}

const BASELINE_COLOR = "#64748b";

/** The last baseline row of each name, in order of first appearance. */
function collectBaselines(rows: MetricsRow[]): BaselineResult[] {
  const last = new Map<string, BaselineResult>();
  for (const row of rows) {
    if (row.type !== "baseline") continue;
    const { labels, confusion, total, trace } = confusionOf(row);
    const accuracy = num(row.accuracy) ?? (total ? trace! / total : undefined);
    if (accuracy === undefined) continue; // nothing to show
    const name = str(row.name) ?? "baseline";
    last.set(name, {
      direction: name,
      accuracy,
      error: 1 - accuracy,
      labels,
      confusion,
      total,
      C: num(row.C),
      seconds: num(row.seconds),
    });
  }
  return [...last.values()];
}

function baselineBadge(b: BaselineResult): string {
  const details = [
    "bag-of-words baseline",
    b.C === undefined ? "" : `C = ${formatNumber(b.C)}`,
    b.seconds === undefined
      ? ""
      : b.seconds < 60
      ? `${b.seconds.toFixed(1)} s`
      : formatSeconds(b.seconds),
  ].filter(Boolean).join(", ");
  return `<span class="swatch" style="background:${BASELINE_COLOR}"></span>${
    escapeHtml(b.direction)
  } <small class="baseline">(${escapeHtml(details)})</small>`;
}

function testSummary(tests: TestResult[], baselines: BaselineResult[]): string {
  const last = new Map<string, TestResult>();
  for (const t of tests) last.set(t.direction, t);
  const dirs = [...new Set([...DIRECTION_ORDER, ...last.keys()])];
  const rows = dirs.map((d) => {
    const t = last.get(d);
    return `<tr><td>${dirBadge(d, dirs)}</td><td class="num big">${pct(t?.accuracy)}</td>` +
      `<td class="num">${pct(t?.error)}</td><td class="num">${
        t?.total === undefined ? "—" : groupThousands(t.total)
      }</td></tr>`;
  });
  for (const b of baselines) {
    rows.push(
      `<tr class="baseline"><td>${baselineBadge(b)}</td>` +
        `<td class="num big">${pct(b.accuracy)}</td><td class="num">${pct(b.error)}</td>` +
        `<td class="num">${b.total === undefined ? "—" : groupThousands(b.total)}</td></tr>`,
    );
  }
  const note = tests.length === 0 ? `<p class="empty">No test rows.</p>` : "";
  return `<table class="data"><thead><tr><th>classifier</th><th>test accuracy</th>` +
    `<th>test error</th><th>examples</th></tr></thead><tbody>${
      rows.join("")
    }</tbody></table>${note}`;
}

function confusionTable(t: TestResult, known: string[], badge?: string): string {
  const head = `<h3>${badge ?? dirBadge(t.direction, known)} — accuracy ${pct(t.accuracy)}` +
    (t.total === undefined ? "" : `, ${groupThousands(t.total)} examples`) + `</h3>`;
  if (!t.confusion) {
    return `<div class="cm">${head}<p class="empty">No confusion matrix (missing or not square).</p></div>`;
  }
  const labels = t.labels.map(escapeHtml);
  const cells = t.confusion.map((row, i) => {
    const rowTotal = row.reduce((a, b) => a + b, 0);
    const tds = row.map((v, j) => {
      const share = rowTotal > 0 ? v / rowTotal : 0;
      // Diagonal (correct) in blue, mistakes in red; shade = share of the true class.
      const rgb = i === j ? "37,99,235" : "220,38,38";
      const alpha = (0.06 + 0.84 * share).toFixed(3);
      const ink = share > 0.5 ? "#fff" : "#0f172a";
      return `<td style="background:rgba(${rgb},${alpha});color:${ink}" title="true ${
        labels[i]
      }, ` +
        `predicted ${labels[j]}">${groupThousands(v)}<small>${pct(share, 1)}</small></td>`;
    });
    return `<tr><th scope="row">${labels[i]}</th>${tds.join("")}<td class="total">${
      groupThousands(rowTotal)
    }</td></tr>`;
  });
  return `<div class="cm">${head}<table class="confusion"><thead><tr>` +
    `<th class="corner">true ↓ / predicted →</th>${
      labels.map((l) => `<th scope="col">${l}</th>`).join("")
    }<th class="total">total</th></tr></thead><tbody>${cells.join("")}</tbody></table></div>`;
}

// ---------------------------------------------------------------------------
// Run info

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (isRecord(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && prefix) out.push([prefix, "{}"]);
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, typeof value === "string" ? value : JSON.stringify(value) ?? String(value)]);
  }
}

function runSection(rows: MetricsRow[], data: StepData, opts: ReportOptions): string {
  const run = rows.findLast((r) => r.type === "run");
  const end = rows.findLast((r) => r.type === "end");
  const info: [string, string][] = [];
  const seconds = num(end?.seconds);
  if (seconds !== undefined) {
    info.push(["total time", formatSeconds(seconds)]);
  } else {
    const times = [...data.runs.values()].flat().flatMap((r) =>
      r.points.flatMap((p) => p.time ?? [])
    );
    info.push([
      "total time",
      times.length > 1
        ? `${formatSeconds((Math.max(...times) - Math.min(...times)) / 1000)} so far ` +
          `(no end row; from step timestamps)`
        : "— (no end row)",
    ]);
  }
  const machine = str(run?.machine);
  if (machine) info.push(["machine", machine]);
  const started = str(run?.startedAt);
  if (started) info.push(["started", started]);
  const steps = [...data.runs.values()].flat().reduce((a, r) => a + r.points.length, 0);
  info.push(["step rows", groupThousands(steps)]);
  info.push(["metrics rows", groupThousands(rows.length)]);
  if (opts.skippedLines) info.push(["malformed lines skipped", groupThousands(opts.skippedLines)]);
  const config: [string, string][] = [];
  if (run && run.config !== undefined) flatten(run.config, "", config);
  const kv = (pairs: [string, string][]) =>
    `<table class="kv"><tbody>${
      pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")
    }</tbody></table>`;
  return `<div class="cols"><div><h3>Run</h3>${kv(info)}</div><div><h3>Config</h3>${
    config.length > 0 ? kv(config) : `<p class="empty">No run row with a config.</p>`
  }</div></div>`;
}

// ---------------------------------------------------------------------------
// Page

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #0f172a;
  background: #f8fafc; margin: 0; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #cbd5e1; }
h3 { font-size: 14px; margin: 12px 0 6px; }
.sub { color: #64748b; margin: 0 0 8px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 4px 16px 16px;
  margin-top: 18px; }
section > h2 { margin-top: 12px; }
.note { color: #475569; font-size: 13px; margin: 4px 0 8px; }
.empty { color: #64748b; font-style: italic; }
table { border-collapse: collapse; }
table.data { margin: 10px 0; min-width: 50%; }
table.data th, table.data td { padding: 4px 12px; border-bottom: 1px solid #e2e8f0; text-align: left; }
table.data th { font-weight: 600; color: #334155; background: #f1f5f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.big { font-weight: 600; }
tr.baseline td { color: #475569; background: #f8fafc; }
small.baseline { color: #64748b; font-weight: 400; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
table.kv { width: 100%; font-size: 13px; }
table.kv th { text-align: left; font-weight: 500; color: #475569; padding: 2px 12px 2px 0;
  white-space: nowrap; vertical-align: top; }
table.kv td { padding: 2px 0; word-break: break-word; font-family: ui-monospace, Menlo, Consolas,
  monospace; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .plot { fill: #fff; stroke: none; }
svg.chart .grid { stroke: #e2e8f0; }
svg.chart .axis { stroke: #64748b; }
svg.chart .tick { font-size: 11px; fill: #475569; }
svg.chart .label { font-size: 12px; fill: #334155; }
svg.chart .legend { font-size: 12px; fill: #0f172a; }
svg.chart .marker { stroke: #94a3b8; stroke-dasharray: 4 3; }
svg.chart .marker-label { font-size: 11px; fill: #475569; font-weight: 600; }
svg.chart text { font-family: inherit; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
.cms { display: flex; flex-wrap: wrap; gap: 24px; }
table.confusion { font-variant-numeric: tabular-nums; }
table.confusion th, table.confusion td { border: 1px solid #e2e8f0; padding: 6px 10px; }
table.confusion td { text-align: center; min-width: 72px; font-weight: 600; }
table.confusion td small { display: block; font-weight: 400; font-size: 11px; opacity: 0.85; }
table.confusion th { background: #f1f5f9; font-weight: 600; }
table.confusion .corner { font-weight: 400; color: #64748b; font-size: 12px; }
table.confusion td.total { background: #f8fafc; color: #475569; font-weight: 400; }
table.confusion th.total { color: #475569; font-weight: 400; }
`;

/** `--lr-find` runs: each range test's curve with its suggestions (nothing when there are none). */
function lrFindSection(rows: MetricsRow[]): string {
  const tests = rows.filter((r) => r.type === "lr-find" && Array.isArray(r.points));
  if (!tests.length) return "";
  const charts = tests.map((r) =>
    rangeTestSvg(
      `${str(r.stage) ?? "?"} ${str(r.direction) ?? "?"}: learning-rate range test`,
      r as unknown as RangeResult,
    )
  );
  return `<section>
<h2>Learning-rate range tests</h2>
<p class="note">Smoothed loss against the rate (log axis); red: steepest fall, green: a tenth of the rate at the minimum.</p>
${charts.join("\n")}
</section>
`;
}

/**
 * Renders metrics rows as one self-contained HTML page: test summary, run
 * info and config, training loss and learning rate per step, validation
 * metrics per epoch and a confusion matrix for each test row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./report.ts";
 * const html = renderReport([], { title: "empty run" });
 * assert.match(html, /^<!doctype html>/);
 * assert.match(html, /No validation rows/);
 * ```
 */
export function renderReport(rows: MetricsRow[], opts: ReportOptions = {}): string {
  const title = opts.title ?? "FitLaM training report";
  clipCounter = 0; // stable ids: the same rows give the same page
  rows = rows.filter(isRecord);
  const data = collectSteps(rows);
  const markers = stageMarkers(data);
  const tests = collectTests(rows);
  const baselines = collectBaselines(rows);
  const testDirs = [...new Set([...DIRECTION_ORDER, ...tests.map((t) => t.direction)])];
  const sub = [
    opts.source ? `from ${escapeHtml(opts.source)}` : "",
    `generated ${escapeHtml(new Date().toISOString().replace("T", " ").slice(0, 19))} UTC`,
  ].filter(Boolean).join(" · ");
  const hasSteps = data.directions.length > 0;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${sub}</p>
<section>
<h2>Summary</h2>
${testSummary(tests, baselines)}
${runSection(rows, data, opts)}
</section>
<section>
<h2>Training loss</h2>
<p class="note">Per step; faint: raw, bold: exponential moving average (over ~2% of each stage's steps, at most 50; restarted at each stage). Dashed lines mark stage starts.</p>
${hasSteps ? lossChart(data, markers) : `<p class="empty">No step rows.</p>`}
${hasSteps ? stageTable(data) : ""}
</section>
<section>
<h2>Learning rate</h2>
<p class="note">Per step, same x axis as the loss.</p>
${hasSteps ? lrChart(data, markers) : `<p class="empty">No step rows.</p>`}
</section>
<section>
<h2>Validation</h2>
<p class="note">Per epoch: perplexity for the language-model stages, accuracy for the classifier.</p>
${validSection(rows)}
</section>
${lrFindSection(rows)}<section>
<h2>Confusion matrices</h2>
<p class="note">Rows: true label, columns: predicted label; shade: share of the true label's examples.</p>
${
    tests.length + baselines.length === 0
      ? `<p class="empty">No test rows.</p>`
      : `<div class="cms">${
        [
          ...tests.map((t) => confusionTable(t, testDirs)),
          ...baselines.map((b) => confusionTable(b, testDirs, baselineBadge(b))),
        ].join("")
      }</div>`
  }
</section>
</main>
</body>
</html>
`;
}

/**
 * Reads `metrics.jsonl`, renders it with {@linkcode renderReport} and writes
 * the page atomically (`htmlPath + ".tmp"`, then rename), so a browser or a
 * file server never sees half a page. Malformed lines are skipped and their
 * count is shown on the page.
 *
 * @example
 * ```ts ignore
 * import { writeReport } from "./report.ts";
 * await writeReport("runs/imdb/metrics.jsonl", "runs/imdb/report.html");
 * ```
 */
export async function writeReport(metricsPath: string, htmlPath: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(metricsPath);
  } catch (e) {
    throw new Error(`Cannot read metrics: ${metricsPath}: ${(e as Error).message}`, { cause: e });
  }
  const { rows, skipped } = parseMetrics(text);
  const html = renderReport(rows, { skippedLines: skipped, source: metricsPath });
  const tmp = `${htmlPath}.tmp`;
  try {
    await Deno.writeTextFile(tmp, html);
    await Deno.rename(tmp, htmlPath);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {}); // best effort: the original error matters
    throw new Error(`Cannot write report: ${htmlPath}: ${(e as Error).message}`, { cause: e });
  }
}
