/**
 * The training report's validation section: per stage, a small chart of the
 * stage's metric per epoch (accuracy for the classifier, perplexity for the
 * language model) and a table of last and best values.
 *
 * @module
 */

import { escapeHtml } from "../../shared/html.ts";
import { groupThousands } from "../../shared/progress.ts";
import type { ValidEvent } from "../metrics_events.ts";
import { byType } from "../metrics_read.ts";
import { extent, formatTick, lineChart, type Point, type Series } from "./chart.ts";
import {
  byKnownOrder,
  colorFor,
  dirBadge,
  DIRECTION_ORDER,
  fmt,
  type MetricsRow,
  num,
  pct,
  STAGE_ORDER,
  stageName,
  str,
} from "./common.ts";

/** A validation row's values that the report draws. */
type ValidPoint = Pick<ValidEvent, "epoch" | "loss" | "perplexity" | "accuracy">;

type ValidMetric = "accuracy" | "perplexity" | "loss";

/** Validation points by stage, then direction, in file order. */
type ByStage = Map<string, Map<string, ValidPoint[]>>;

function collectValid(rows: MetricsRow[]): { byStage: ByStage; dirs: string[] } {
  const byStage: ByStage = new Map();
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
  dirs.sort(byKnownOrder(DIRECTION_ORDER));
  return { byStage, dirs };
}

/** Classifier: accuracy; LM: perplexity; otherwise whatever exists. */
function metricFor(stage: string, pts: ValidPoint[]): ValidMetric {
  if (stage === "classify" && pts.some((p) => p.accuracy !== undefined)) return "accuracy";
  if (pts.some((p) => p.perplexity !== undefined)) return "perplexity";
  if (pts.some((p) => p.accuracy !== undefined)) return "accuracy";
  return "loss";
}

function tableRow(
  stage: string,
  dir: string,
  dirs: string[],
  list: ValidPoint[],
  metric: ValidMetric,
): string {
  const values = list.flatMap((p) => p[metric] ?? []);
  const best = metric === "accuracy" ? Math.max(...values) : Math.min(...values);
  const last = list.at(-1)!;
  return `<tr><td>${escapeHtml(stageName(stage))}</td><td>${dirBadge(dir, dirs)}</td>` +
    `<td class="num">${list.length}</td><td class="num">${fmt(last.loss)}</td>` +
    `<td>${metric}</td>` +
    `<td class="num">${
      metric === "accuracy" ? pct(last.accuracy) : fmt(last[metric])
    }</td><td class="num">${
      values.length === 0 ? "—" : metric === "accuracy" ? pct(best) : fmt(best)
    }</td></tr>`;
}

function panel(stage: string, metric: ValidMetric, series: Series[]): string {
  const title = `<h3>${escapeHtml(stageName(stage))}: ${metric}</h3>`;
  if (series.length === 0) {
    return `<div class="panel">${title}<p class="empty">No ${metric} values.</p></div>`;
  }
  const epochs = series.flatMap((s) => s.segments.flat().map((p) => p[0]));
  return `<div class="panel">${title}${
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
  }</div>`;
}

/** One stage's chart panel and table rows. */
function stageParts(
  stage: string,
  m: Map<string, ValidPoint[]>,
  dirs: string[],
): { panel: string; rows: string[] } {
  const metric = metricFor(stage, [...m.values()].flat());
  const series: Series[] = [];
  const rows: string[] = [];
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
    rows.push(tableRow(stage, dir, dirs, list, metric));
  }
  return { panel: panel(stage, metric, series), rows };
}

/**
 * The validation rows as chart panels, one per stage, and a table with each
 * stage and direction's last loss and last and best metric.
 */
export function validSection(rows: MetricsRow[]): string {
  const { byStage, dirs } = collectValid(rows);
  if (byStage.size === 0) return `<p class="empty">No validation rows.</p>`;
  const stages = [...byStage.keys()].sort(byKnownOrder(STAGE_ORDER));
  const parts = stages.map((stage) => stageParts(stage, byStage.get(stage)!, dirs));
  return `<div class="panels">${parts.map((p) => p.panel).join("")}</div>` +
    `<table class="data"><thead><tr><th>stage</th><th>direction</th><th>epochs</th>` +
    `<th>last loss</th><th>metric</th><th>last</th><th>best</th></tr></thead>` +
    `<tbody>${parts.flatMap((p) => p.rows).join("")}</tbody></table>`;
}

/**
 * Stage 3's held-out folds (`held-out` rows), where validation was too small: each fold's
 * accuracy on the labelled documents it left out; nothing when the run had none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heldOutTable } from "./validation.ts";
 * const time = "2026-01-01T00:00:00.000Z";
 * const row = { type: "held-out", direction: "fwd", fold: 1, folds: 3, trainDocs: 66, heldDocs: 34, accuracy: 0.75, time };
 * assert.match(heldOutTable([row]), /75\.00%/);
 * assert.equal(heldOutTable([]), "");
 * ```
 */
export function heldOutTable(rows: MetricsRow[]): string {
  const folds = byType(rows, "held-out");
  if (!folds.length) return "";
  const body = folds.map((r) =>
    `<tr><td>${escapeHtml(r.direction)}</td><td class="num">${r.fold} of ${r.folds}</td>` +
    `<td class="num">${groupThousands(r.trainDocs)}</td><td class="num">${
      groupThousands(r.heldDocs)
    }</td><td class="num">${pct(r.accuracy)}</td></tr>`
  );
  return `<h3>Stage 3's held-out folds</h3>
<p class="note">Validation was too small to fit the blend on: each fold trained on the other
labelled documents and answered for the ones it left out (its accuracy there).</p>
<table class="data"><thead><tr><th>direction</th><th>fold</th><th>trained on</th>` +
    `<th>left out</th><th>accuracy there</th></tr></thead><tbody>${body.join("")}</tbody></table>`;
}
