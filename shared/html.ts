/**
 * HTML escaping shared by the training report, the server's pages and the
 * SVG charts.
 *
 * @module
 */

/**
 * Escapes `&`, `<`, `>`, `"` and `'` as numeric character references, so the
 * text is safe both in element content and in quoted attribute values (HTML
 * and SVG alike).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeHtml } from "./html.ts";
 * assert.equal(escapeHtml(`<b class="x">Tom & Jerry's</b>`),
 *   "&#60;b class=&#34;x&#34;&#62;Tom &#38; Jerry&#39;s&#60;/b&#62;");
 * assert.equal(escapeHtml("plain text"), "plain text");
 * ```
 */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
