/**
 * Thinning long series to about one point per pixel column, so a run of
 * many thousand steps still gives a small chart.
 *
 * @module
 */
import type { Point } from "./chart.ts";

/** Series are thinned to about this many x buckets (one per pixel column). */
export const MAX_BUCKETS = 900;

/** Keeps min and max of each x bucket, so spikes survive thinning. */
export function thinEnvelope(points: Point[], x0: number, x1: number): Point[] {
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
export function thinLast(points: Point[], x0: number, x1: number): Point[] {
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
