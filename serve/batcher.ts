/**
 * Micro-batching with admission control: requests' texts wait in one queue
 * (bounded in characters), and ONE model call at a time takes up to
 * `maxBatch` of them, chosen by length so that little padding is computed.
 *
 * @module
 */

import type { ProbabilitiesFn } from "../shared/classify.ts";

/** Options of {@linkcode Batcher}. */
export interface BatcherOptions {
  /** How long the oldest queued text waits for company; 0: each request runs alone. */
  windowMs: number;
  /** Most texts in one model call. */
  maxBatch: number;
  /** Most characters waiting (not yet computing); beyond it {@linkcode Overloaded}. */
  maxQueueChars?: number;
}

/** What one request gets back. */
export interface BatchResult {
  probs: Float32Array[];
  /** Texts in the largest model call that served this request. */
  batchSize: number;
  /** Milliseconds from queueing until its first text started computing. */
  queueMs: number;
  /** Milliseconds of model calls that computed its texts (summed when several did). */
  computeMs: number;
}

/** Thrown by {@linkcode Batcher.run} when the queue is full. */
export class Overloaded extends Error {
  constructor(readonly queuedChars: number, readonly retryAfterS: number) {
    super(`the queue holds ${queuedChars} characters`);
    this.name = "Overloaded";
  }
}

interface Job {
  texts: string[];
  probs: Float32Array[];
  left: number;
  queuedAt: number;
  queueMs?: number;
  computeMs: number;
  batchSize: number;
  done: boolean;
  resolve: (r: BatchResult) => void;
  reject: (e: unknown) => void;
}

interface Item {
  job: Job;
  index: number;
  chars: number;
}

/**
 * Picks the batch: the oldest item (so nothing starves) plus the items
 * nearest it in length, as the run of `size` length-sorted items holding
 * the oldest one that pads least (padding = batch × longest − total).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickByLength } from "./batcher.ts";
 * // The oldest (index 0, length 10) goes with the two other short ones.
 * assert.deepEqual(pickByLength([10, 900, 12, 1000, 11], 3), [0, 2, 4]);
 * ```
 */
export function pickByLength(lengths: number[], size: number): number[] {
  const n = lengths.length;
  if (n <= size) return lengths.map((_, i) => i);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const at = order.indexOf(0);
  let best = -1, bestWaste = Infinity;
  for (let s = Math.max(0, at - size + 1); s <= Math.min(at, n - size); s++) {
    let total = 0;
    for (let k = s; k < s + size; k++) total += lengths[order[k]];
    const waste = size * lengths[order[s + size - 1]] - total;
    if (waste < bestWaste) [best, bestWaste] = [s, waste];
  }
  return order.slice(best, best + size).sort((a, b) => a - b);
}

/**
 * Queues texts and runs them together, one model call at a time.
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
  #items: Item[] = [];
  #chars = 0;
  #computing = 0;
  #urgent = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  // Characters per millisecond of recent model calls, for Retry-After.
  #rate = 0;

  /** `fn`: the one model call a batcher makes. */
  constructor(readonly fn: ProbabilitiesFn, readonly options: BatcherOptions) {}

  /** Texts in the model call now running (0 when none). */
  get computing(): number {
    return this.#computing;
  }

  /** What waits now (not counting the call in progress). */
  get queued(): { texts: number; chars: number; requests: number } {
    return {
      texts: this.#items.length,
      chars: this.#chars,
      requests: new Set(this.#items.map((i) => i.job)).size,
    };
  }

  /**
   * Probabilities of `texts`, in order, possibly computed with other requests' texts.
   * Rejects with {@linkcode Overloaded} when the queue is full, and with
   * `signal.reason` when `signal` aborts first (its waiting texts leave the queue).
   */
  run(texts: string[], signal?: AbortSignal): Promise<BatchResult> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const chars = texts.reduce((a, t) => a + t.length, 0);
    const max = this.options.maxQueueChars ?? Infinity;
    // An empty queue admits any request, so one at the size limits can always run.
    if (this.#items.length > 0 && this.#chars + chars > max) {
      const seconds = this.#rate > 0 ? (this.#chars + chars) / this.#rate / 1000 : 1;
      const retryAfterS = Math.min(60, Math.max(1, Math.ceil(seconds)));
      return Promise.reject(new Overloaded(this.#chars, retryAfterS));
    }
    return new Promise((resolve, reject) => {
      const job: Job = {
        texts,
        probs: new Array(texts.length),
        left: texts.length,
        queuedAt: performance.now(),
        computeMs: 0,
        batchSize: 0,
        done: false,
        resolve,
        reject,
      };
      const onAbort = () => this.#cancel(job, signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      job.resolve = (r) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      };
      texts.forEach((t, index) => this.#items.push({ job, index, chars: t.length }));
      this.#chars += chars;
      this.#schedule();
    });
  }

  /** Stops waiting for company: everything queued runs as soon as the model is free. */
  flush(): void {
    this.#urgent = true;
    this.#schedule();
  }

  #cancel(job: Job, reason: unknown): void {
    if (job.done) return;
    job.done = true;
    // Texts still waiting leave the queue; a call already computing some is not interrupted.
    this.#items = this.#items.filter((i) => {
      if (i.job !== job) return true;
      this.#chars -= i.chars;
      return false;
    });
    job.reject(reason);
  }

  #schedule(): void {
    if (this.#computing > 0 || this.#items.length === 0) return;
    const { windowMs, maxBatch } = this.options;
    const waited = performance.now() - this.#items[0].job.queuedAt;
    const wait = this.#urgent || windowMs <= 0 || this.#items.length >= maxBatch
      ? 0
      : windowMs - waited;
    if (wait > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#schedule();
      }, wait);
      return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    void this.#runBatch();
  }

  async #runBatch(): Promise<void> {
    const { windowMs, maxBatch } = this.options;
    // Without a window a request is its own batch: only the oldest job's texts.
    const candidates = windowMs <= 0
      ? this.#items.filter((i) => i.job === this.#items[0].job)
      : this.#items;
    const chosen = new Set(pickByLength(candidates.map((i) => i.chars), maxBatch));
    const batch = candidates.filter((_, k) => chosen.has(k));
    const taken = new Set(batch);
    this.#items = this.#items.filter((i) => !taken.has(i));
    const chars = batch.reduce((a, i) => a + i.chars, 0);
    this.#chars -= chars;
    if (this.#items.length === 0) this.#urgent = false;
    this.#computing = batch.length;
    const start = performance.now();
    for (const { job } of batch) job.queueMs ??= start - job.queuedAt;
    try {
      const probs = await this.fn(batch.map((i) => i.job.texts[i.index]));
      const ms = performance.now() - start;
      if (ms > 0) this.#rate = this.#rate === 0 ? chars / ms : 0.7 * this.#rate + 0.3 * chars / ms;
      // A job split over several calls counts each call once.
      for (const job of new Set(batch.map((i) => i.job))) job.computeMs += ms;
      batch.forEach((item, k) => this.#deliver(item, probs[k], batch.length));
    } catch (e) {
      for (const { job } of batch) {
        if (!job.done) this.#cancel(job, e);
      }
    } finally {
      this.#computing = 0;
      this.#schedule();
    }
  }

  #deliver(item: Item, probs: Float32Array, batchSize: number): void {
    const { job } = item;
    if (job.done) return;
    job.probs[item.index] = probs;
    job.batchSize = Math.max(job.batchSize, batchSize);
    if (--job.left > 0) return;
    job.done = true;
    job.resolve({
      probs: job.probs,
      batchSize: job.batchSize,
      queueMs: job.queueMs ?? 0,
      computeMs: job.computeMs,
    });
  }
}
