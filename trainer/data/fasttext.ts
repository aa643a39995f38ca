/**
 * fastText's supervised format, one text a line with its label as a word that starts with
 * `__label__` (`__label__positive a fine film`), as `fasttext supervised` reads it and as many
 * data sets are shipped for it (e.g. Amazon and Yelp reviews prepared for fastText).
 *
 * @module
 */

import { FASTTEXT_LABEL, fastTextLine } from "../../shared/fasttext.ts";
import { rowError } from "./errors.ts";
import { type Encoding, readLines } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";

/** Options of {@linkcode readFastText}. */
export interface FastTextOptions {
  /** Text encoding; default `"auto"`. */
  encoding?: Encoding;
  /** Keep lines without a label as unlabelled text, with label `""`. Default false. */
  unlabelled?: boolean;
}

/**
 * Reads a fastText file: a label word (`__label__NAME`) and the text on each non-blank line.
 * A line with two different labels is refused (fitlam trains one label a text), as is one without
 * a label unless `unlabelled` keeps it as text to learn the language from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFastText } from "./fasttext.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/train.txt`, "__label__2 great blender\n\n__label__1 broke in a week\n");
 * const rows = await readFastText(`${dir}/train.txt`);
 * assert.deepEqual(rows.map((r) => r.label), ["2", "1"]);
 * assert.equal(rows[1].text, "broke in a week");
 * ```
 */
export async function readFastText(
  path: string,
  options: FastTextOptions = {},
): Promise<LabeledDoc[]> {
  const rows: LabeledDoc[] = [];
  let lineNo = 0;
  for await (const line of readLines(path, options.encoding)) {
    lineNo++;
    if (!line.trim()) continue;
    const { labels, text } = fastTextLine(line);
    if (labels.length > 1) {
      throw rowError(
        path,
        lineNo,
        `${labels.length} labels (${labels.map((l) => FASTTEXT_LABEL + l).join(", ")}); fitlam ` +
          "trains one label a text: keep one label word on each line",
      );
    }
    if (labels.length === 1 && labels[0] === "") {
      throw rowError(path, lineNo, `an empty label: "${FASTTEXT_LABEL}" with no name after it`);
    }
    if (!labels.length && !options.unlabelled) {
      throw rowError(path, lineNo, `expected a label word ${FASTTEXT_LABEL}NAME, found none`);
    }
    // A labelled line without a text is left out, and counted, when the task is assembled.
    rows.push({ text, label: labels[0] ?? "" });
  }
  return rows;
}
