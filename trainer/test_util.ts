/**
 * What the trainer's interrupt-and-resume tests share.
 *
 * @module
 */
import { type MetricsEvent, MetricsLog } from "./metrics.ts";
import type { StopSignal } from "./signals.ts";

/** A log that raises the stop flag (as Ctrl-C or SIGTERM would) once a given step is logged. */
export class StopAtStep extends MetricsLog {
  /** Raises `stop` when step `atStep` is logged. */
  constructor(readonly stop: StopSignal, readonly atStep: number) {
    super();
  }

  /** Logs the row, then raises the flag if it is step `atStep`. */
  override async add(row: MetricsEvent): Promise<void> {
    await super.add(row);
    if (row.type === "step" && row.step === this.atStep) this.stop.requested = true;
  }
}
