/**
 * A self-contained HTML training report built from `metrics.jsonl`.
 *
 * The page needs no network: CSS is inline, charts are inline SVG drawn here,
 * there is no script, and a Content-Security-Policy forbids loading anything.
 * Every piece of text from the metrics (labels, config values) is escaped.
 *
 * Rows understood (the `MetricsEvent` types of `metrics_events.ts`, read
 * with `parseMetricsLines` of `metrics_read.ts`; fields may be missing or odd, as in an older or
 * cut-short log, and unknown rows are ignored):
 *
 * - `{"type":"step","stage","direction","epoch","step","loss","lr","tokensPerSec","time"}`
 * - `{"type":"valid","stage","direction","epoch","loss","perplexity","accuracy"}`
 * - `{"type":"test","direction","accuracy","error","labels","confusion"}`
 * - `{"type":"baseline","name","accuracy","C","seconds","labels","confusion"}`: a
 *   bag-of-words baseline (`shared/baseline/`), shown beside the test accuracies
 * - `{"type":"run","config","machine","startedAt"}` and `{"type":"end","seconds"}`
 * - `{"type":"lr-find","stage","direction","points","suggestion","ended"}`: a
 *   `--lr-find` range test, drawn when its points, suggestion and end are whole
 *
 * The page's parts live in `report/`: the SVG line chart (`chart.ts`), the
 * per-step loss and learning-rate sections (`steps.ts`), the validation
 * section (`validation.ts`), the test and baseline results (`evaluation.ts`),
 * shared helpers (`common.ts`) and the CSS (`style.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./report.ts";
 * const html = renderReport([
 *   { type: "step", stage: "pretrain", direction: "fwd", step: 0, loss: 5.2, lr: 1e-3 },
 *   { type: "test", direction: "fwd", accuracy: 0.9, labels: ["ham", "spam"], confusion: [[5, 1], [0, 4]] },
 * ]);
 * assert.match(html, /<svg/);
 * ```
 *
 * @module
 */

import { escapeHtml } from "../shared/html.ts";
import { groupThousands } from "../shared/progress.ts";
import type { RangeResult } from "./lr_find.ts";
import { rangeTestSvg } from "./lr_find.ts";
import { settingEntries } from "./settings.ts";
import { isRangeResult, parseMetricsLines } from "./metrics_read.ts";
import { resetClipIds } from "./report/chart.ts";
import { formatSeconds, isRecord, type MetricsRow, num, str } from "./report/common.ts";
import {
  collectBaselines,
  collectTests,
  confusionSection,
  testSummary,
} from "./report/evaluation.ts";
import { mistakesSection } from "./report/mistakes.ts";
import { collectSteps, type StepData, stepSections } from "./report/steps.ts";
import { REPORT_CSS } from "./report/style.ts";
import { heldOutTable, validSection } from "./report/validation.ts";

export type { MetricsRow };

/** Options for {@linkcode renderReport}. */
export interface ReportOptions {
  /** Page heading and `<title>`; defaults to "FitLaM training report". */
  title?: string;
  /** Lines of the metrics file that could not be parsed, noted on the page. */
  skippedLines?: number;
  /** Where the metrics came from, shown under the heading. */
  source?: string;
}

/** Result of {@linkcode parseMetrics}: `parseMetricsLines`'s, with `events` named `rows`. */
export interface ParsedMetrics {
  /** Rows that parsed as JSON objects, in file order. */
  rows: MetricsRow[];
  /** Non-blank lines that were not JSON objects. */
  skipped: number;
}

// ---------------------------------------------------------------------------
// Parsing

/**
 * Parses `metrics.jsonl` text, skipping (and counting) lines that are not
 * JSON objects, e.g. a last line cut short by a crash: `parseMetricsLines`
 * (`metrics_read.ts`), kept here for the report's callers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMetrics } from "./report.ts";
 * const { rows, skipped } = parseMetrics('{"type":"end","seconds":3}\n{"type":\n\n');
 * assert.equal(rows.length, 1);
 * assert.equal(skipped, 1);
 * ```
 */
export function parseMetrics(text: string): ParsedMetrics {
  const { events, skipped } = parseMetricsLines(text);
  return { rows: events, skipped };
}

// ---------------------------------------------------------------------------
// Run info

function runSection(rows: MetricsRow[], data: StepData, opts: ReportOptions): string {
  const run = rows.findLast((r) => r.type === "run");
  const end = rows.findLast((r) => r.type === "end");
  const info: [string, string][] = [];
  const seconds = num(end?.seconds);
  if (seconds !== undefined) {
    info.push(["total time", formatSeconds(seconds)]);
  } else {
    const times = [...data.runs.values()].flat().flatMap((r) =>
      r.points.flatMap((p) => p.time ?? [])
    );
    info.push([
      "total time",
      times.length > 1
        ? `${formatSeconds((Math.max(...times) - Math.min(...times)) / 1000)} so far ` +
          `(no end row; from step timestamps)`
        : "— (no end row)",
    ]);
  }
  const machine = str(run?.machine);
  if (machine) info.push(["machine", machine]);
  const started = str(run?.startedAt);
  if (started) info.push(["started", started]);
  const steps = [...data.runs.values()].flat().reduce((a, r) => a + r.points.length, 0);
  info.push(["step rows", groupThousands(steps)]);
  info.push(["metrics rows", groupThousands(rows.length)]);
  if (opts.skippedLines) info.push(["malformed lines skipped", groupThousands(opts.skippedLines)]);
  const config: [string, string][] = [];
  if (run && run.config !== undefined) {
    for (const [k, v] of settingEntries(run.config)) {
      config.push([k, typeof v === "string" ? v : JSON.stringify(v) ?? String(v)]);
    }
  }
  const kv = (pairs: [string, string][]) =>
    `<table class="kv"><tbody>${
      pairs.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")
    }</tbody></table>`;
  return `<div class="cols"><div><h3>Run</h3>${kv(info)}</div><div><h3>Config</h3>${
    config.length > 0 ? kv(config) : `<p class="empty">No run row with a config.</p>`
  }</div></div>`;
}

/** `--lr-find` runs: each range test's curve with its suggestions (nothing when there are none). */
function lrFindSection(rows: MetricsRow[]): string {
  const tests = rows.filter((r): r is MetricsRow & RangeResult =>
    r.type === "lr-find" && isRangeResult(r)
  );
  if (!tests.length) return "";
  const charts = tests.map((r) =>
    rangeTestSvg(`${str(r.stage) ?? "?"} ${str(r.direction) ?? "?"}: learning-rate range test`, r)
  );
  return `<section>
<h2>Learning-rate range tests</h2>
<p class="note">Smoothed loss against the rate (log axis); red: steepest fall, green: a tenth of the rate at the minimum.</p>
${charts.join("\n")}
</section>
`;
}

// ---------------------------------------------------------------------------
// Page

/** The doctype and `<head>`: charset, viewport, a CSP that forbids loading anything, the CSS. */
function pageHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>`;
}

/** The line under the heading: where the metrics came from and when the page was made. */
function subtitle(opts: ReportOptions): string {
  return [
    opts.source ? `from ${escapeHtml(opts.source)}` : "",
    `generated ${escapeHtml(new Date().toISOString().replace("T", " ").slice(0, 19))} UTC`,
  ].filter(Boolean).join(" · ");
}

/**
 * Renders metrics rows as one self-contained HTML page: test summary, run
 * info and config, training loss and learning rate per step, validation
 * metrics per epoch and a confusion matrix for each test row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./report.ts";
 * const html = renderReport([], { title: "empty run" });
 * assert.match(html, /^<!doctype html>/);
 * assert.match(html, /No validation rows/);
 * ```
 */
export function renderReport(rows: MetricsRow[], opts: ReportOptions = {}): string {
  const title = opts.title ?? "FitLaM training report";
  resetClipIds(); // stable ids: the same rows give the same page
  rows = rows.filter(isRecord);
  const data = collectSteps(rows);
  const tests = collectTests(rows);
  const baselines = collectBaselines(rows);
  return `${pageHead(title)}
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${subtitle(opts)}</p>
<section>
<h2>Summary</h2>
${testSummary(tests, baselines)}
${runSection(rows, data, opts)}
</section>
${stepSections(data)}
<section>
<h2>Validation</h2>
<p class="note">Per epoch: perplexity for the language-model stages, accuracy for the classifier.</p>
${validSection(rows)}
${heldOutTable(rows)}
</section>
${lrFindSection(rows)}${confusionSection(tests, baselines)}
${mistakesSection(rows)}
</main>
</body>
</html>
`;
}

/**
 * Reads `metrics.jsonl`, renders it with {@linkcode renderReport} and writes
 * the page atomically (`htmlPath + ".tmp"`, then rename), so a browser or a
 * file server never sees half a page. Malformed lines are skipped and their
 * count is shown on the page.
 *
 * @example
 * ```ts ignore
 * import { writeReport } from "./report.ts";
 * await writeReport("runs/imdb/metrics.jsonl", "runs/imdb/report.html");
 * ```
 */
export async function writeReport(metricsPath: string, htmlPath: string): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(metricsPath);
  } catch (e) {
    throw new Error(`Cannot read metrics: ${metricsPath}: ${(e as Error).message}`, { cause: e });
  }
  const { rows, skipped } = parseMetrics(text);
  const html = renderReport(rows, { skippedLines: skipped, source: metricsPath });
  const tmp = `${htmlPath}.tmp`;
  try {
    await Deno.writeTextFile(tmp, html);
    await Deno.rename(tmp, htmlPath);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {}); // best effort: the original error matters
    throw new Error(`Cannot write report: ${htmlPath}: ${(e as Error).message}`, { cause: e });
  }
}
