/**
 * Ctrl-C handling and the divergence error shared by the training loops.
 *
 * @module
 */

/** Set by SIGINT/SIGTERM; loops save a checkpoint and return when they see it. */
export class StopSignal {
  requested = false;
  /** Where the interrupted loop saved its checkpoint. */
  stoppedAt?: string;
  #handler = () => {
    if (this.requested) Deno.exit(130); // a second Ctrl-C quits at once
    this.requested = true;
    console.error("\nStopping after this step: saving a checkpoint (Ctrl-C again to quit now)…");
  };

  /**
   * Listens for SIGINT and SIGTERM until {@linkcode detach}.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { StopSignal } from "./signals.ts";
   * const stop = new StopSignal();
   * assert.equal(stop.requested, false);
   * ```
   */
  attach(): this {
    for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, this.#handler);
    return this;
  }

  /** Stops listening. */
  detach(): void {
    for (const s of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(s, this.#handler);
  }
}

/** A NaN or infinite loss. */
export class TrainingDiverged extends Error {
  constructor(stage: string, step: number, checkpointDir: string) {
    super(
      `Cannot continue ${stage}: the loss became NaN or infinite at step ${
        step + 1
      }; the last good checkpoint is kept in ${checkpointDir}; lower the learning rate (--lm-lr or --clf-lr) and rerun with --resume`,
    );
  }
}
