/**
 * Append-only `metrics.jsonl`: one JSON object per logged step, validation
 * and test result. Each row is written whole with one write call.
 *
 * {@linkcode MetricsLog.add} takes only a {@linkcode MetricsEvent}, so a
 * misspelt type or field fails `deno check`. The events (`metrics_events.ts`)
 * and their checks and reader (`metrics_read.ts`) are exported here too.
 *
 * @module
 */

import type { Logged, MetricsEvent } from "./metrics_events.ts";

export * from "./metrics_events.ts";
export * from "./metrics_read.ts";

/** A metrics log on disk (or in memory when `path` is undefined). */
export class MetricsLog {
  /** The rows added through this log, as written. */
  readonly rows: Logged[] = [];
  #encoder = new TextEncoder();

  constructor(readonly path?: string) {}

  /**
   * Appends an event, with `time` after its fields, in one write.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricsLog } from "./metrics.ts";
   * const log = new MetricsLog();
   * await log.add({ type: "end", seconds: 1 });
   * assert.equal(log.rows.length, 1);
   * assert.deepEqual(Object.keys(log.rows[0]), ["type", "seconds", "time"]);
   * ```
   */
  async add(event: MetricsEvent): Promise<void> {
    const full: Logged = { ...event, time: new Date().toISOString() };
    this.rows.push(full);
    if (this.path) {
      await Deno.writeFile(this.path, this.#encoder.encode(JSON.stringify(full) + "\n"), {
        append: true,
      });
    }
  }
}
