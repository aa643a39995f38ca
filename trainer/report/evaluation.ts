/**
 * The training report's test results: the test rows of each direction and
 * the bag-of-words baselines, as a summary table and as confusion matrices.
 *
 * @module
 */

import { classReport } from "../../shared/class_report.ts";
import { escapeHtml } from "../../shared/html.ts";
import { formatNumber, groupThousands } from "../../shared/progress.ts";
import { isFiniteNumber } from "../metrics_read.ts";
import {
  dirBadge,
  DIRECTION_ORDER,
  formatSeconds,
  type MetricsRow,
  num,
  pct,
  str,
} from "./common.ts";

/** One test row: a direction's test accuracy and confusion matrix. */
export interface TestResult {
  /** fwd, bwd, avg or another name. */
  direction: string;
  /** Share of test examples right. */
  accuracy?: number;
  /** Share wrong (1 − accuracy unless the row says). */
  error?: number;
  /** Class names, one per confusion row (`class i` where missing). */
  labels: string[];
  /** Counts: rows true class, columns predicted; only a square non-negative matrix. */
  confusion?: number[][];
  /** Number of test examples (the confusion's sum). */
  total?: number;
}

/** A bag-of-words baseline's test result (`{"type":"baseline"}` rows); `direction` holds its name. */
export interface BaselineResult extends TestResult {
  /** The regularisation constant chosen. */
  C?: number;
  /** Training time. */
  seconds?: number;
}

const BASELINE_COLOR = "#64748b";

/** Whether `m` is a non-empty square matrix of non-negative counts: only those are drawn. */
function isCountMatrix(m: unknown): m is number[][] {
  return Array.isArray(m) && m.length > 0 &&
    m.every((r) =>
      Array.isArray(r) && r.length === m.length && r.every((v) => isFiniteNumber(v) && v >= 0)
    );
}

/** A square confusion matrix of non-negative counts from a row, its labels and totals. */
function confusionOf(row: MetricsRow): Pick<TestResult, "labels" | "confusion" | "total"> & {
  trace?: number;
} {
  const confusion = isCountMatrix(row.confusion) ? row.confusion : undefined;
  const n = confusion?.length ?? 0;
  const given = Array.isArray(row.labels) ? row.labels : [];
  // Missing or short label lists fall back to class indices.
  const labels = Array.from({ length: n }, (_, i) => {
    const l = given[i];
    return typeof l === "string" || typeof l === "number" ? String(l) : `class ${i}`;
  });
  const total = confusion?.flat().reduce((a, b) => a + b, 0);
  const trace = confusion?.reduce((a, r, i) => a + r[i], 0);
  return { labels, confusion, total, trace };
}

/** The test rows in file order; a missing accuracy comes from the confusion matrix's trace. */
export function collectTests(rows: MetricsRow[]): TestResult[] {
  const out: TestResult[] = [];
  for (const row of rows) {
    if (row.type !== "test" && row.type !== "blend") continue;
    const { labels, confusion, total, trace } = confusionOf(row);
    const accuracy = num(row.accuracy) ?? (total ? trace! / total : undefined);
    // The blend row is what the folder serves: avg and the baseline, weighted.
    const name = row.type === "blend"
      ? `served: avg + baseline ${blendWeights(row)}`
      : str(row.direction) ?? "all";
    out.push({
      direction: name,
      accuracy,
      error: num(row.error) ?? (accuracy === undefined ? undefined : 1 - accuracy),
      labels,
      confusion,
      total,
    });
  }
  return out;
}

/** "(weights 0.5 / 1.5)" of a blend row's log-probability weights (LSTMs / baseline). */
function blendWeights(row: MetricsRow): string {
  const w = (row.weights ?? {}) as Record<string, unknown>;
  const f = (x: unknown) => formatNumber(num(x) ?? 0);
  return `(weights ${f(w.lm)} / ${f(w.baseline)})`;
}

/** The last baseline row of each name, in order of first appearance. */
export function collectBaselines(rows: MetricsRow[]): BaselineResult[] {
  const last = new Map<string, BaselineResult>();
  for (const row of rows) {
    const self = selfTrained(row);
    if (self) last.set(self.direction, self);
    if (row.type !== "baseline") continue;
    const { labels, confusion, total, trace } = confusionOf(row);
    const accuracy = num(row.accuracy) ?? (total ? trace! / total : undefined);
    if (accuracy === undefined) continue; // nothing to show
    const name = str(row.name) ?? "baseline";
    last.set(name, {
      direction: name,
      accuracy,
      error: 1 - accuracy,
      labels,
      confusion,
      total,
      C: num(row.C),
      seconds: num(row.seconds),
    });
  }
  return [...last.values()];
}

/** A `self-train` row that changed the bag of words, as a baseline of its own name. */
function selfTrained(row: MetricsRow): BaselineResult | undefined {
  const accuracy = num(row.accuracy), chosen = num(row.chosen), n = num(row.unlabelled);
  if (row.type !== "self-train" || accuracy === undefined || !(chosen! >= 0)) return undefined;
  return {
    direction: `tfidf-lr self-trained on ${groupThousands(n ?? 0)} unlabelled documents`,
    accuracy,
    error: 1 - accuracy,
    labels: [],
    seconds: num(row.seconds),
  };
}

function baselineBadge(b: BaselineResult): string {
  const details = [
    "bag-of-words baseline",
    b.C === undefined ? "" : `C = ${formatNumber(b.C)}`,
    b.seconds === undefined
      ? ""
      : b.seconds < 60
      ? `${b.seconds.toFixed(1)} s`
      : formatSeconds(b.seconds),
  ].filter(Boolean).join(", ");
  return `<span class="swatch" style="background:${BASELINE_COLOR}"></span>${
    escapeHtml(b.direction)
  } <small class="baseline">(${escapeHtml(details)})</small>`;
}

/**
 * Test accuracy, error and example count of each direction (fwd, bwd and avg
 * always listed), then one row per baseline.
 */
export function testSummary(tests: TestResult[], baselines: BaselineResult[]): string {
  const last = new Map<string, TestResult>();
  for (const t of tests) last.set(t.direction, t);
  const dirs = [...new Set([...DIRECTION_ORDER, ...last.keys()])];
  const rows = dirs.map((d) => {
    const t = last.get(d);
    return `<tr><td>${dirBadge(d, dirs)}</td><td class="num big">${pct(t?.accuracy)}</td>` +
      `<td class="num">${macroF1(t)}</td><td class="num">${pct(t?.error)}</td><td class="num">${
        t?.total === undefined ? "—" : groupThousands(t.total)
      }</td></tr>`;
  });
  for (const b of baselines) {
    rows.push(
      `<tr class="baseline"><td>${baselineBadge(b)}</td>` +
        `<td class="num big">${pct(b.accuracy)}</td><td class="num">${macroF1(b)}</td>` +
        `<td class="num">${pct(b.error)}</td>` +
        `<td class="num">${b.total === undefined ? "—" : groupThousands(b.total)}</td></tr>`,
    );
  }
  const note = tests.length === 0 ? `<p class="empty">No test rows.</p>` : "";
  return `<table class="data"><thead><tr><th>classifier</th><th>test accuracy</th>` +
    `<th title="F1 of each label, averaged with every label counting alike">macro F1</th>` +
    `<th>test error</th><th>examples</th></tr></thead><tbody>${
      rows.join("")
    }</tbody></table>${note}`;
}

/** The macro-averaged F1 of a row's confusion matrix (shared/class_report.ts), or a dash. */
function macroF1(t?: { labels: string[]; confusion?: number[][] }): string {
  if (!t?.confusion || t.labels.length !== t.confusion.length) return "—";
  return classReport(t.labels, t.confusion).macro.f1.toFixed(3);
}

function confusionTable(t: TestResult, known: string[], badge?: string): string {
  const head = `<h3>${badge ?? dirBadge(t.direction, known)} — accuracy ${pct(t.accuracy)}` +
    (t.total === undefined ? "" : `, ${groupThousands(t.total)} examples`) + `</h3>`;
  if (!t.confusion) {
    return `<div class="cm">${head}<p class="empty">No confusion matrix (missing or not square).</p></div>`;
  }
  const labels = t.labels.map(escapeHtml);
  const cells = t.confusion.map((row, i) => {
    const rowTotal = row.reduce((a, b) => a + b, 0);
    const tds = row.map((v, j) => {
      const share = rowTotal > 0 ? v / rowTotal : 0;
      // Diagonal (correct) in blue, mistakes in red; shade = share of the true class.
      const rgb = i === j ? "37,99,235" : "220,38,38";
      const alpha = (0.06 + 0.84 * share).toFixed(3);
      const ink = share > 0.5 ? "#fff" : "#0f172a";
      return `<td style="background:rgba(${rgb},${alpha});color:${ink}" title="true ${
        labels[i]
      }, ` +
        `predicted ${labels[j]}">${groupThousands(v)}<small>${pct(share, 1)}</small></td>`;
    });
    return `<tr><th scope="row">${labels[i]}</th>${tds.join("")}<td class="total">${
      groupThousands(rowTotal)
    }</td></tr>`;
  });
  return `<div class="cm">${head}<table class="confusion"><thead><tr>` +
    `<th class="corner">true ↓ / predicted →</th>${
      labels.map((l) => `<th scope="col">${l}</th>`).join("")
    }<th class="total">total</th></tr></thead><tbody>${cells.join("")}</tbody></table></div>`;
}

/** The "Confusion matrices" section: one per test row, then one per baseline. */
export function confusionSection(tests: TestResult[], baselines: BaselineResult[]): string {
  const testDirs = [...new Set([...DIRECTION_ORDER, ...tests.map((t) => t.direction)])];
  const body = tests.length + baselines.length === 0
    ? `<p class="empty">No test rows.</p>`
    : `<div class="cms">${
      [
        ...tests.map((t) => confusionTable(t, testDirs)),
        ...baselines.map((b) => confusionTable(b, testDirs, baselineBadge(b))),
      ].join("")
    }</div>`;
  return `<section>
<h2>Confusion matrices</h2>
<p class="note">Rows: true label, columns: predicted label; shade: share of the true label's examples.</p>
${body}
</section>`;
}
