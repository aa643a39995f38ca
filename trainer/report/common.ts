/**
 * Helpers shared by the training report's sections: field access that
 * tolerates missing or odd fields (the report draws old and partial logs
 * too), stage and direction names, orders and colours, number formatting.
 * The row types are `../metrics_events.ts`, the reader `../metrics_read.ts`.
 *
 * @module
 */

import { escapeHtml } from "../../shared/html.ts";
import { formatNumber } from "../../shared/progress.ts";
import { DIRECTIONS, type MetricsRow, TRAINING_STAGES } from "../metrics_events.ts";
import { isFiniteNumber, isRecord } from "../metrics_read.ts";

export { isRecord, type MetricsRow };

/** The training stages in run order. */
export const STAGE_ORDER: string[] = [...TRAINING_STAGES];
const STAGE_NAMES: Record<string, string> = {
  "pretrain": "LM pretraining",
  "finetune-lm": "LM fine-tuning",
  "classify": "classifier",
};
/** Directions in display order: forward, backward, their average. */
export const DIRECTION_ORDER: string[] = [...DIRECTIONS, "avg"];
const DIRECTION_COLORS: Record<string, string> = {
  fwd: "#2563eb",
  bwd: "#ea580c",
  avg: "#16a34a",
};
const EXTRA_COLORS = ["#9333ea", "#0891b2", "#be123c", "#4d7c0f", "#a16207"];

/** `v` if it is a finite number, else `undefined`. */
export function num(v: unknown): number | undefined {
  return isFiniteNumber(v) ? v : undefined;
}

/** `v` if it is a non-empty string, else `undefined`. */
export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A stage's readable name ("LM pretraining"); unknown stages as given. */
export function stageName(stage: string): string {
  return STAGE_NAMES[stage] ?? stage;
}

/** A sort comparator ranking strings by `order`, unknown ones last (stable among themselves). */
export function byKnownOrder(order: string[]): (a: string, b: string) => number {
  const rank = (s: string) => {
    const i = order.indexOf(s);
    return i < 0 ? order.length : i;
  };
  return (a, b) => rank(a) - rank(b);
}

/** A share as a percentage ("95.48%"); "—" when missing. */
export function pct(v: number | undefined, digits = 2): string {
  return v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`;
}

/** A number with {@linkcode formatNumber}; "—" when missing. */
export function fmt(v: number | undefined): string {
  return v === undefined ? "—" : formatNumber(v);
}

/** A duration as "1 h 05 min", "13 min 32 s" or "7 s". */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

/**
 * A direction's colour: fixed for fwd, bwd and avg; other directions take the
 * extra colours in the order they appear in `known`.
 */
export function colorFor(dir: string, known: string[]): string {
  const fixed = DIRECTION_COLORS[dir];
  if (fixed) return fixed;
  const i = known.filter((d) => !DIRECTION_COLORS[d]).indexOf(dir);
  return EXTRA_COLORS[Math.max(0, i) % EXTRA_COLORS.length];
}

/** A direction's name after a swatch of its colour. */
export function dirBadge(dir: string, known: string[]): string {
  return `<span class="swatch" style="background:${colorFor(dir, known)}"></span>${
    escapeHtml(dir)
  }`;
}
