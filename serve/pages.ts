/**
 * Two small self-contained HTML pages (no external assets): the try-it page
 * and the docs page rendered from the OpenAPI spec.
 *
 * @module
 */

import { escapeHtml } from "../shared/html.ts";

/** Both pages' style sheet, served from `/style.css` (the pages' CSP forbids inline styles). */
export const STYLE: string =
  `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
textarea{width:100%;height:8rem}.bar{background:#4a7bd0;height:1rem}
.row{display:grid;grid-template-columns:8rem 1fr 5rem;gap:.5rem;align-items:center;margin:.2rem 0}
code{background:#eee;padding:0 .2rem}
.why{white-space:pre-wrap;line-height:1.6}.why span{border-radius:3px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}
`;

/**
 * The try-it page's script, served from `/try.js` so the page's Content-Security-Policy can forbid
 * inline scripts.
 */
export const TRY_SCRIPT: string = `const out = document.getElementById("out");
const why = document.getElementById("why");
async function call(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = document.getElementById("key");
  if (key && key.value) headers.Authorization = "Bearer " + key.value;
  const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(json.error ? json.error.message : res.statusText);
  return json;
}
function showScores(scores) {
  for (const label of Object.keys(scores)) {
    const row = document.createElement("div"); row.className = "row";
    const name = document.createElement("span"); name.textContent = label;
    const track = document.createElement("div");
    const bar = document.createElement("div"); bar.className = "bar";
    bar.style.width = (scores[label] * 100).toFixed(1) + "%"; track.appendChild(bar);
    const pct = document.createElement("span"); pct.textContent = (scores[label] * 100).toFixed(1) + "%";
    row.append(name, track, pct); out.appendChild(row);
  }
}
// Green: the word speaks for the label; red: against it; the deeper, the more.
function showWhy(text, e) {
  const max = Math.max(1e-9, ...e.pieces.map((p) => Math.abs(p.weight)));
  const note = document.createElement("p");
  note.textContent = "Why \u201c" + e.target + "\u201d: each " +
    (e.wordsPerPiece > 1 ? "run of " + e.wordsPerPiece + " words" : "word") +
    " left out in turn (hover for the change in probability)";
  const para = document.createElement("p"); para.className = "why";
  let at = 0;
  for (const p of e.pieces) {
    para.append(text.slice(at, p.start));
    const span = document.createElement("span"); span.textContent = p.text;
    const a = (Math.abs(p.weight) / max).toFixed(2);
    span.style.backgroundColor = p.weight >= 0 ? "rgba(0,160,60," + a + ")" : "rgba(220,40,40," + a + ")";
    span.title = (p.weight >= 0 ? "+" : "") + (p.weight * 100).toFixed(1) + " points";
    para.append(span); at = p.end;
  }
  para.append(text.slice(at));
  why.replaceChildren(note, para);
}
async function run(explain) {
  const text = document.getElementById("text").value;
  out.textContent = "\u2026"; why.textContent = "";
  try {
    if (explain) {
      const e = await call("/v1/explain", { text });
      out.textContent = ""; showScores(e.scores); showWhy(text, e);
    } else {
      const body = await call("/v1/classify", { text });
      out.textContent = ""; showScores(body.results[0].scores);
    }
  } catch (e) { out.textContent = e.message || String(e); }
}
document.getElementById("go").addEventListener("click", () => run(false));
document.getElementById("explain").addEventListener("click", () => run(true));
`;

/**
 * The try-it page: a textarea, a key field, Classify and Why? buttons, score bars and the
 * explained text with its words shaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { indexPage } from "./pages.ts";
 * assert.match(indexPage(false), /<textarea/);
 * ```
 */
export function indexPage(needsKey: boolean): string {
  const keyField = needsKey
    ? `<p><label>API key <input id="key" type="password" autocomplete="off"></label></p>`
    : "";
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>fitlam classifier</title><link rel="stylesheet" href="/style.css"></head><body>
<h1>fitlam classifier</h1>
<p><label for="text">Text</label></p><textarea id="text">Win a FREE cruise now!!!</textarea>
${keyField}<p><button id="go">Classify</button> <button id="explain">Why?</button>
<a href="/docs">API docs</a></p>
<div id="out"></div><div id="why"></div>
<script src="/try.js"></script></body></html>`;
}

interface SpecLike {
  info: { title: string; description?: string };
  paths: Record<string, Record<string, { summary?: string; responses?: Record<string, unknown> }>>;
}

/**
 * The docs page: every route of `spec` with its summary and status codes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { docsPage } from "./pages.ts";
 * const html = docsPage({ info: { title: "t" }, paths: { "/x": { get: { summary: "X" } } } });
 * assert.match(html, /GET/);
 * assert.match(html, /\/x/);
 * ```
 */
export function docsPage(spec: SpecLike): string {
  const rows = Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) =>
      `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td>` +
      `<td>${escapeHtml(op.summary ?? "")}</td><td>${
        escapeHtml(Object.keys(op.responses ?? {}).join(", "))
      }</td></tr>`
    )
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${escapeHtml(spec.info.title)} — API</title><link rel="stylesheet" href="/style.css">
</head><body><h1>${escapeHtml(spec.info.title)}</h1>
<p>${escapeHtml(spec.info.description ?? "")}</p>
<p>Full schema: <a href="/openapi.json">/openapi.json</a>. Errors are
<code>{"error": {"code": "...", "message": "..."}}</code>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Statuses</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table></body></html>`;
}
