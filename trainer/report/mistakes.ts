/**
 * The report's "Most confident mistakes": the served classifier's wrong test answers with the
 * most probability on the wrong label (the `mistakes` row of metrics.jsonl), where label noise
 * and blind spots show first.
 *
 * @module
 */

import { escapeHtml } from "../../shared/html.ts";
import { groupThousands } from "../../shared/progress.ts";
import { byType } from "../metrics_read.ts";
import type { Mistake } from "../mistakes.ts";
import { type MetricsRow, pct } from "./common.ts";

/** A mistake's `because` pieces as "word (+12.3)", or a dash where none was worked out. */
function because(m: Mistake): string {
  if (!m.because?.length) return "–";
  return m.because.map((b) => `${escapeHtml(b.text)} (+${(100 * b.weight).toFixed(1)})`)
    .join(", ");
}

/**
 * The section for the last `mistakes` row, or nothing when the run logged none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mistakesSection } from "./mistakes.ts";
 * const because = [{ text: "FREE", weight: 0.4 }];
 * const top = [{ index: 3, label: "ham", predicted: "spam", p: 0.97, pTrue: 0.03, text: "<b>FREE</b>", because }];
 * const time = "2026-01-01T00:00:00.000Z";
 * const html = mistakesSection([{ type: "mistakes", of: "blend", wrong: 5, total: 100, top, time }]);
 * assert.match(html, /5 of 100 test documents/);
 * assert.match(html, /&#60;b&#62;FREE&#60;\/b&#62;/); // escaped
 * assert.match(html, /FREE \(\+40\.0\)/);
 * assert.equal(mistakesSection([]), "");
 * ```
 */
export function mistakesSection(rows: MetricsRow[]): string {
  const last = byType(rows, "mistakes").at(-1);
  if (!last) return "";
  const whose = last.of === "blend"
    ? "the served blend of the classifiers and the bag of words"
    : "the averaged classifiers";
  const head =
    `<p class="note">${groupThousands(last.wrong)} of ${
      groupThousands(last.total)
    } test documents answered wrong by ${whose}; the ${last.top.length} with the most probability ` +
    `on the wrong label, most confident first (mislabelled documents tend to show up here).`;
  const why = " Words behind the answer: the pieces of the whole text whose removal lowers the " +
    "wrong label's probability most, with the fall in points.";
  if (!last.top.length) {
    return `<section>\n<h2>Most confident mistakes</h2>\n${head}</p>\n</section>`;
  }
  const rowsHtml = last.top.map((m) =>
    `<tr><td class="num">${m.index + 1}</td><td>${escapeHtml(m.label)}</td>` +
    `<td>${escapeHtml(m.predicted)}</td><td class="num">${pct(m.p, 1)}</td>` +
    `<td class="num">${pct(m.pTrue, 1)}</td><td>${because(m)}</td><td>${
      escapeHtml(m.text)
    }</td></tr>`
  );
  return `<section>
<h2>Most confident mistakes</h2>
${head}${why}</p>
<table class="data"><thead><tr><th>test document</th><th>true</th><th>answered</th>` +
    `<th>p(answered)</th><th>p(true)</th><th>words behind the answer</th><th>text</th></tr>` +
    `</thead><tbody>${rowsHtml.join("")}</tbody></table>
</section>`;
}
