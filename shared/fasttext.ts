/**
 * One line of fastText's supervised format, `__label__NAME text`, as the trainer's task files and
 * `deno task predict`'s input read it, so both split a line the same way.
 *
 * @module
 */

/** The prefix that marks a word as a label, fastText's default (`-label`). */
export const FASTTEXT_LABEL = "__label__";

/**
 * Whether a line has a label word, as the first line of a fastText file does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasLabelWord } from "./fasttext.ts";
 * assert.ok(hasLabelWord("a fine film __label__pos"));
 * assert.ok(!hasLabelWord("see x__label__y"));
 * ```
 */
export function hasLabelWord(line: string): boolean {
  return line.split(/\s+/).some((word) => word.startsWith(FASTTEXT_LABEL));
}

/**
 * Splits one line as fastText does: every whitespace-separated word with the prefix is a label,
 * wherever it stands; the other words, joined by single spaces, are the text. Labels come without
 * the prefix, each once, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fastTextLine } from "./fasttext.ts";
 * assert.deepEqual(fastTextLine("__label__pos a fine\tfilm"), { labels: ["pos"], text: "a fine film" });
 * assert.deepEqual(fastTextLine("dull __label__neg"), { labels: ["neg"], text: "dull" });
 * ```
 */
export function fastTextLine(line: string): { labels: string[]; text: string } {
  const labels: string[] = [];
  const words: string[] = [];
  for (const word of line.split(/\s+/)) {
    if (!word) continue;
    if (!word.startsWith(FASTTEXT_LABEL)) words.push(word);
    else if (!labels.includes(word.slice(FASTTEXT_LABEL.length))) {
      labels.push(word.slice(FASTTEXT_LABEL.length));
    }
  }
  return { labels, text: words.join(" ") };
}
