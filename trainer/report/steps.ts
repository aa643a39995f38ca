/**
 * The training report's per-step part: step rows grouped by direction and
 * stage, the loss and learning-rate charts, and the per-stage table.
 *
 * @module
 */

import { escapeHtml } from "../../shared/html.ts";
import { groupThousands } from "../../shared/progress.ts";
import { lineChart, type Marker, type Point, type Series } from "./chart.ts";
import { thinEnvelope, thinLast } from "./thin.ts";
import {
  byKnownOrder,
  colorFor,
  dirBadge,
  DIRECTION_ORDER,
  fmt,
  formatSeconds,
  type MetricsRow,
  num,
  STAGE_ORDER,
  stageName,
  str,
} from "./common.ts";

/**
 * The loss EMA averages over about 2% of a stage's steps, between 5 and 50
 * (fastai's 0.98): a fixed 50-step span lags far behind a short stage.
 */
const EMA_SPAN_FRACTION = 0.02;
const EMA_SPAN_MIN = 5;
const EMA_SPAN_MAX = 50;

/** One step row. */
export interface StepPoint {
  /** The step's index among its direction's step rows. */
  x: number;
  /** The row's stage. */
  stage: string;
  /** Training loss of the step's batch. */
  loss?: number;
  /** The schedule's learning rate at this step. */
  lr?: number;
  /** Training speed. */
  tokensPerSec?: number;
  /** Timestamp in milliseconds. */
  time?: number;
}

/** Contiguous step rows of one stage and direction. */
export interface StageRun {
  /** The stage of every point. */
  stage: string;
  /** The direction of every point. */
  direction: string;
  /** The step rows, in file order. */
  points: StepPoint[];
  /** The epochs the rows name. */
  epochs: Set<number>;
}

/** Result of {@linkcode collectSteps}. */
export interface StepData {
  /** Directions with step rows, fwd, bwd, avg first. */
  directions: string[];
  /** Per direction, contiguous runs of one stage, in order. */
  runs: Map<string, StageRun[]>;
  /** The largest step index of any direction. */
  maxX: number;
}

/** Groups the step rows by direction into runs of one stage. */
export function collectSteps(rows: MetricsRow[]): StepData {
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

/** A bias-corrected exponential moving average of the y values. */
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

/** Training loss per step: faint raw lines and a bold EMA per direction. */
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

/** Learning rate per step, one line per direction. */
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

/** The middle value (mean of the middle two); `undefined` when empty. */
function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function stageRow(run: StageRun, directions: string[]): string {
  const losses = run.points.flatMap((p) => p.loss === undefined ? [] : [p.loss]);
  const ema = emaSegments(losses.map((l, i) => [i, l]));
  const times = run.points.flatMap((p) => p.time === undefined ? [] : [p.time]);
  const span = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : undefined;
  const tps = median(run.points.flatMap((p) => p.tokensPerSec ?? []));
  return `<tr><td>${escapeHtml(stageName(run.stage))}</td><td>${
    dirBadge(run.direction, directions)
  }</td>` +
    `<td class="num">${groupThousands(run.points.length)}</td>` +
    `<td class="num">${run.epochs.size || "—"}</td>` +
    `<td class="num">${fmt(losses[0])}</td>` +
    `<td class="num">${fmt(ema.at(-1)?.[1])}</td>` +
    `<td class="num">${fmt(tps)}</td>` +
    `<td class="num">${span === undefined ? "—" : formatSeconds(span)}</td></tr>`;
}

/** One row per stage and direction: steps, epochs, first and final loss, speed, wall time. */
function stageTable(data: StepData): string {
  const runs = data.directions.flatMap((d) => data.runs.get(d)!);
  runs.sort((a, b) =>
    byKnownOrder(STAGE_ORDER)(a.stage, b.stage) ||
    byKnownOrder(data.directions)(a.direction, b.direction)
  );
  const rows = runs.map((run) => stageRow(run, data.directions));
  return `<table class="data"><thead><tr><th>stage</th><th>direction</th><th>steps</th>` +
    `<th>epochs</th><th>first loss</th><th>final loss (EMA)</th><th>median tok/s</th>` +
    `<th>wall time</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The "Training loss" and "Learning rate" sections (placeholders without step rows). */
export function stepSections(data: StepData): string {
  const hasSteps = data.directions.length > 0;
  const markers = stageMarkers(data);
  return `<section>
<h2>Training loss</h2>
<p class="note">Per step; faint: raw, bold: exponential moving average (over ~2% of each stage's steps, at most 50; restarted at each stage). Dashed lines mark stage starts.</p>
${hasSteps ? lossChart(data, markers) : `<p class="empty">No step rows.</p>`}
${hasSteps ? stageTable(data) : ""}
</section>
<section>
<h2>Learning rate</h2>
<p class="note">Per step, same x axis as the loss.</p>
${hasSteps ? lrChart(data, markers) : `<p class="empty">No step rows.</p>`}
</section>`;
}
