/**
 * Undoes the markup artefacts of scraped corpora (IMDb reviews, WikiText)
 * before tokenizing, so `<br />` or `&quot;` never become tokens.
 *
 * @module
 */

// One alternation, one pass. Scraped text is often escaped twice
// ("&amp;quot;"), so "&" followed by "amp;"s and an entity is read as that entity.
const ARTEFACT =
  /<br\s*\/?>|&(?:amp;)*(?:amp|quot|lt|gt|#39|nbsp);|#39;|nbsp;|quot;|\\n| @([-,.])@ | \\ /gi;

const REPLACEMENT: Record<string, string> = {
  "&amp;": "&",
  "&quot;": '"',
  "&lt;": "<",
  "&gt;": ">",
  "&#39;": "'",
  "&nbsp;": " ",
  "amp;": "&",
  "lt;": "<",
  "gt;": ">",
  "#39;": "'",
  "nbsp;": " ",
  "quot;": '"',
  "\\n": "\n",
  " \\ ": " ",
};

function replace(match: string, sep: string | undefined): string {
  if (sep !== undefined) return sep;
  if (match.charCodeAt(0) === 60) return "\n"; // "<br ...>"
  // The last entity of "&amp;amp;quot;" decides.
  const key = match.slice(match.lastIndexOf(";", match.length - 2) + 1).toLowerCase();
  return REPLACEMENT[key] ?? match;
}

/**
 * Replaces HTML/markup artefacts: `<br />` and `<br>` and literal `\n` by a
 * newline; `&amp;` `&quot;` `&lt;` `&gt;` `&#39;` `#39;` `&nbsp;` `nbsp;`
 * `quot;` by their characters (also when escaped twice, `&amp;quot;`);
 * WikiText's ` @-@ ` ` @,@ ` ` @.@ ` by `-` `,` `.`; a lone ` \ ` by a space.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fixHtml } from "./fix_html.ts";
 * assert.equal(fixHtml("Great!<br /><br />A &quot;must&quot;"), 'Great!\n\nA "must"');
 * ```
 */
export function fixHtml(text: string): string {
  return text.replace(ARTEFACT, replace);
}
