/**
 * A one-line terminal progress bar for training loops.
 *
 * On a terminal the line is redrawn in place (`\r` + clear to end of line) at
 * most every 100 ms. Elsewhere (CI, log files) full lines are printed only at
 * each 10% of progress or every 30 s, so logs stay short.
 *
 * @example
 * ```ts
 * import { ProgressBar } from "./progress.ts";
 * const bar = new ProgressBar({ label: "pretrain fwd", total: 3 });
 * for (let i = 1; i <= 3; i++) bar.update(i, { loss: 4.2134, lr: 0.0012 });
 * bar.finish({ loss: 4.1 });
 * ```
 *
 * @module
 */

/** Named values shown after the bar, e.g. `{ loss: 4.213, "tok/s": 1234 }`. */
export type ProgressFields = Record<string, string | number>;

/** Options for {@linkcode ProgressBar}. */
export interface ProgressBarOptions {
  /** Text at the start of the line, e.g. `"pretrain fwd"`. */
  label: string;
  /** Number of units (steps, batches) that make 100%. */
  total: number;
  /** Output sink; defaults to synchronous writes to stderr. */
  write?: (s: string) => void;
  /** Whether to redraw in place; defaults to `Deno.stderr.isTerminal()`. */
  isTty?: boolean;
  /** Clock in milliseconds; defaults to `Date.now`. */
  now?: () => number;
  /** Terminal width; redrawn lines are cut to fit so that `\r` never wraps. */
  columns?: number;
  /** Units already done when the bar starts (a resumed epoch): the ETA uses only the rate since. */
  initial?: number;
}

const BAR_WIDTH = 20;
const TTY_INTERVAL_MS = 100;
const LOG_INTERVAL_MS = 30_000;
const LOG_BUCKETS = 10;

/**
 * Adds `,` thousands separators to an integer (locale-independent, so logs
 * read the same on every machine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupThousands } from "./progress.ts";
 * assert.equal(groupThousands(1234567), "1,234,567");
 * ```
 */
export function groupThousands(n: number): string {
  const digits = Math.abs(Math.round(n)).toString();
  // toString switches to exponent form for huge values; leave those alone.
  if (!/^\d+$/.test(digits)) return String(n);
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}

/**
 * Formats a metric compactly: integers with thousands separators, values
 * below 0.01 in exponent form (learning rates), values of 1000 or more
 * rounded to integers (throughput) and everything else to 4 significant
 * digits (losses).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatNumber } from "./progress.ts";
 * assert.equal(formatNumber(4.21345), "4.213");
 * assert.equal(formatNumber(0.0012), "1.2e-3");
 * assert.equal(formatNumber(1234.6), "1,235");
 * ```
 */
export function formatNumber(value: number): string {
  // NaN / Infinity are shown as-is: a diverged loss should be loud.
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e15) return value.toExponential(3);
  if (Number.isInteger(value)) return groupThousands(value);
  if (abs < 0.01) return value.toExponential(1);
  if (abs >= 1000) return groupThousands(Math.round(value));
  return String(Number(value.toPrecision(4)));
}

/**
 * Formats seconds as `mm:ss`, or `h:mm:ss` from one hour on; `--:--` when
 * unknown (negative or not finite).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./progress.ts";
 * assert.equal(formatDuration(83), "01:23");
 * assert.equal(formatDuration(3723), "1:02:03");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * Formats fields as `key value` pairs separated by spaces.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFields } from "./progress.ts";
 * assert.equal(formatFields({ loss: 4.21345, "tok/s": 1234 }), "loss 4.213 tok/s 1,234");
 * ```
 */
export function formatFields(fields: ProgressFields): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${typeof v === "number" ? formatNumber(v) : v}`)
    .join(" ");
}

function writeStderr(s: string): void {
  const bytes = new TextEncoder().encode(s);
  // writeSync may write only part of the buffer.
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

function terminalColumns(): number | undefined {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return undefined; // no console attached
  }
}

/**
 * A progress bar with elapsed time, ETA and free-form metric fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgressBar } from "./progress.ts";
 * const lines: string[] = [];
 * const bar = new ProgressBar({
 *   label: "classify",
 *   total: 10,
 *   write: (s) => lines.push(s),
 *   isTty: false,
 * });
 * bar.update(10, { acc: 0.93 });
 * bar.finish();
 * assert.match(lines.at(-1)!, /acc 0\.93\n$/);
 * ```
 */
export class ProgressBar {
  /** Text at the start of the line. */
  readonly label: string;
  /** Units that make 100%. */
  readonly total: number;
  #write: (s: string) => void;
  #isTty: boolean;
  #now: () => number;
  #columns: number | undefined;
  #start: number;
  #done: number;
  #initial: number;
  #fields: ProgressFields = {};
  #lastDraw = -Infinity;
  #lastBucket = 0;
  #lastLogAt: number;
  #lastLogged: string | undefined;
  #finished = false;

  constructor(options: ProgressBarOptions) {
    const { total } = options;
    if (!Number.isFinite(total) || total < 0) {
      throw new Error(
        `Cannot create progress bar: total must be a finite number >= 0, got ${total}`,
      );
    }
    this.label = options.label;
    this.total = total;
    this.#write = options.write ?? writeStderr;
    this.#isTty = options.isTty ?? Deno.stderr.isTerminal();
    this.#columns = options.columns ??
      (this.#isTty && !options.write ? terminalColumns() : undefined);
    this.#now = options.now ?? Date.now;
    this.#start = this.#now();
    this.#lastLogAt = this.#start;
    this.#initial = this.#done = options.initial ?? 0;
  }

  /**
   * Records progress and redraws when due: on a TTY at most every 100 ms
   * (always when `done >= total`); otherwise when a new 10% step is reached
   * or 30 s have passed since the last printed line.
   *
   * @example
   * ```ts
   * import { ProgressBar } from "./progress.ts";
   * const bar = new ProgressBar({ label: "lm", total: 100, write: () => {}, isTty: true });
   * bar.update(50, { loss: 3.9 });
   * ```
   */
  update(done: number, fields: ProgressFields = {}): void {
    if (this.#finished) throw new Error(`Cannot update progress bar: "${this.label}" is finished`);
    this.#done = done;
    this.#fields = fields;
    const t = this.#now();
    if (this.#isTty) {
      if (done < this.total && t - this.#lastDraw < TTY_INTERVAL_MS) return;
      this.#lastDraw = t;
      this.#write(`\r${this.#fit(this.#line(t))}\x1b[K`);
      return;
    }
    const bucket = this.total > 0
      ? Math.floor(Math.min(1, done / this.total) * LOG_BUCKETS)
      : LOG_BUCKETS;
    if (bucket <= this.#lastBucket && t - this.#lastLogAt < LOG_INTERVAL_MS) return;
    this.#lastBucket = Math.max(bucket, this.#lastBucket);
    this.#log(t);
  }

  /**
   * Prints the final line (with the given fields, or the last ones passed to
   * {@linkcode ProgressBar.update}) followed by a newline. Later calls to
   * `update` throw; later calls to `finish` do nothing.
   *
   * @example
   * ```ts
   * import { ProgressBar } from "./progress.ts";
   * const bar = new ProgressBar({ label: "lm", total: 1, write: () => {}, isTty: true });
   * bar.update(1, { loss: 3.9 });
   * bar.finish({ loss: 3.9, "valid ppl": 49.4 });
   * ```
   */
  finish(fields?: ProgressFields): void {
    if (this.#finished) return;
    this.#finished = true;
    if (fields) this.#fields = fields;
    const t = this.#now();
    if (this.#isTty) {
      this.#write(`\r${this.#fit(this.#line(t))}\x1b[K\n`);
      return;
    }
    // Non-TTY: the 100% line may already be in the log with the same fields.
    if (this.#lastLogged === this.#stateKey()) return;
    this.#log(t);
  }

  /**
   * The line as it would be drawn now (without control characters).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ProgressBar } from "./progress.ts";
   * const bar = new ProgressBar({ label: "lm", total: 4, write: () => {}, now: () => 0 });
   * assert.match(bar.line(), /^lm \[\.{20}\] 0\/4/);
   * ```
   */
  line(): string {
    return this.#line(this.#now());
  }

  #log(t: number): void {
    this.#lastLogAt = t;
    this.#lastLogged = this.#stateKey();
    this.#write(`${this.#line(t)}\n`);
  }

  #stateKey(): string {
    return JSON.stringify([this.#done, this.#fields]);
  }

  #fit(line: string): string {
    const cols = this.#columns;
    // One column spare: writing into the last column makes some terminals wrap.
    return cols !== undefined && cols > 1 && line.length > cols - 1
      ? line.slice(0, cols - 1)
      : line;
  }

  #line(t: number): string {
    const { total } = this;
    const done = this.#done;
    const frac = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
    const filled = Math.floor(frac * BAR_WIDTH);
    const bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
    const pct = `${Math.floor(frac * 100)}%`.padStart(4);
    const elapsed = (t - this.#start) / 1000;
    // Linear extrapolation of this bar's own rate; unknown before its first unit.
    const since = done - this.#initial;
    const eta = done >= total ? 0 : since > 0 ? elapsed * (total - done) / since : NaN;
    const parts = [
      this.label,
      `[${bar}]`,
      `${groupThousands(done)}/${groupThousands(total)}`,
      pct,
      `elapsed ${formatDuration(elapsed)}`,
      `eta ${formatDuration(eta)}`,
    ];
    const extra = formatFields(this.#fields);
    if (extra) parts.push(extra);
    return parts.join(" ");
  }
}
