/**
 * Append-only `metrics.jsonl`: one JSON object per logged step, validation
 * and test result. Each row is written whole with one write call.
 *
 * @module
 */

/** A metrics log on disk (or in memory when `path` is undefined). */
export class MetricsLog {
  readonly rows: Record<string, unknown>[] = [];
  #encoder = new TextEncoder();

  constructor(readonly path?: string) {}

  /**
   * Appends a row.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MetricsLog } from "./metrics.ts";
   * const log = new MetricsLog();
   * await log.add({ type: "step", loss: 1 });
   * assert.equal(log.rows.length, 1);
   * ```
   */
  async add(row: Record<string, unknown>): Promise<void> {
    const full = { ...row, time: new Date().toISOString() };
    this.rows.push(full);
    if (this.path) {
      await Deno.writeFile(this.path, this.#encoder.encode(JSON.stringify(full) + "\n"), {
        append: true,
      });
    }
  }
}
