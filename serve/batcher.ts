/**
 * Micro-batching: concurrent requests' texts are queued for a short window
 * and run through ONE `probabilities` call, then split back in order.
 *
 * @module
 */

/** The one model call a batcher makes. */
export type ProbabilitiesFn = (texts: string[]) => Promise<Float32Array[]>;

/** Options of {@linkcode Batcher}. */
export interface BatcherOptions {
  /** How long the first queued request waits for company; 0 disables batching. */
  windowMs: number;
  /** Flush at once when this many texts are waiting. */
  maxBatch: number;
}

/** What one request gets back. */
export interface BatchResult {
  probs: Float32Array[];
  /** Texts in the model call that produced `probs`. */
  batchSize: number;
}

interface Pending {
  texts: string[];
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Queues texts and runs them together.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Batcher } from "./batcher.ts";
 * const b = new Batcher(async (t) => t.map((s) => new Float32Array([s.length])), {
 *   windowMs: 5,
 *   maxBatch: 32,
 * });
 * const [x, y] = await Promise.all([b.run(["a"]), b.run(["bb", "ccc"])]);
 * assert.equal(x.batchSize, 3);
 * assert.equal(y.probs[1][0], 3);
 * ```
 */
export class Batcher {
  #queue: Pending[] = [];
  #queued = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly fn: ProbabilitiesFn, readonly options: BatcherOptions) {}

  /** Probabilities of `texts`, in order, possibly computed with other requests' texts. */
  run(texts: string[]): Promise<BatchResult> {
    if (this.options.windowMs <= 0) {
      return this.fn(texts).then((probs) => ({ probs, batchSize: texts.length }));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ texts, resolve, reject });
      this.#queued += texts.length;
      if (this.#queued >= this.options.maxBatch) this.flush();
      else if (this.#timer === undefined) {
        this.#timer = setTimeout(() => this.flush(), this.options.windowMs);
      }
    });
  }

  /** Runs everything queued now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    const batchSize = this.#queued;
    this.#queue = [];
    this.#queued = 0;
    if (batch.length === 0) return;
    const all = batch.flatMap((p) => p.texts);
    this.fn(all).then(
      (probs) => {
        let at = 0;
        for (const p of batch) {
          p.resolve({ probs: probs.slice(at, at + p.texts.length), batchSize });
          at += p.texts.length;
        }
      },
      (e) => batch.forEach((p) => p.reject(e)),
    );
  }
}
