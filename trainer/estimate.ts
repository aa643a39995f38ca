/**
 * A stage's time estimate, announced once after its first few batches: the
 * pace of those batches times the work still planned. Printed so a user
 * knows early whether to wait, or to stop and ask for less.
 *
 * @module
 */
import { formatDuration, groupThousands } from "../shared/progress.ts";

/** Announces one estimate for a stage of `planned` units of work (batches or tokens). */
export class StageEstimate {
  #said = false;
  #start: number;

  /**
   * @param label what the estimate is of, e.g. "stage 3 classifier fwd"
   * @param planned units of all planned epochs (early stopping may end sooner)
   * @param unit name of a unit, e.g. "batches" or "tokens"
   * @param afterBatches how many batches to time before estimating
   */
  constructor(
    readonly label: string,
    readonly planned: number,
    readonly unit: string,
    readonly afterBatches = 3,
    readonly now: () => number = performance.now.bind(performance),
  ) {
    this.#start = now();
  }

  /**
   * The estimate line once `batches` batches holding `done` units have run
   * since the stage started, else undefined; only ever returned once.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { StageEstimate } from "./estimate.ts";
   * let t = 0;
   * const e = new StageEstimate("stage 2", 1000, "tokens", 2, () => t);
   * t = 1000;
   * assert.equal(e.after(10, 1), undefined);
   * t = 2000;
   * assert.equal(e.after(20, 2), "stage 2: about 01:40 for 1,000 tokens (10 tokens/s so far)");
   * assert.equal(e.after(30, 3), undefined);
   * ```
   */
  after(done: number, batches: number): string | undefined {
    if (this.#said || batches < this.afterBatches || done <= 0) return undefined;
    this.#said = true;
    const perSec = done / ((this.now() - this.#start) / 1000);
    return `${this.label}: about ${formatDuration(this.planned / perSec)} for ` +
      `${groupThousands(this.planned)} ${this.unit} (${
        perSec < 10 ? perSec.toFixed(2) : groupThousands(Math.round(perSec))
      } ${this.unit}/s so far)`;
  }
}

/** Prints an estimate line to stderr on a line of its own, even below a progress bar. */
export function announce(line: string | undefined): void {
  if (line) console.error(Deno.stderr.isTerminal() ? `\r\x1b[K${line}` : line);
}
