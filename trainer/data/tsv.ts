/**
 * Tab-separated `text<TAB>label` files (SST-2 style), with an optional
 * header line such as `sentence<TAB>label`; `label<TAB>text` files are read too.
 *
 * @module
 */

import { rowError } from "./errors.ts";
import { type Encoding, readLines } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";
import { LABEL_NAMES, TEXT_NAMES } from "./field_names.ts";

/** Options of {@linkcode readTsv}. */
export interface TsvOptions {
  /** Whether the first line is a header; default `"auto"` (detected by its names). */
  header?: boolean | "auto";
  /** Text encoding; default `"auto"`. */
  encoding?: Encoding;
  /** Keep `text<TAB>` rows (an empty label) as unlabelled text, with label `""`. Default false. */
  unlabelled?: boolean;
}

/**
 * How a header line names the two columns: `"text-label"` for `sentence<TAB>label` and the like,
 * `"label-text"` for `label<TAB>text`, undefined when the line is not a header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tsvHeader } from "./tsv.ts";
 * assert.equal(tsvHeader("sentence\tlabel"), "text-label");
 * assert.equal(tsvHeader("Label\tText"), "label-text");
 * assert.equal(tsvHeader("good film\t1"), undefined);
 * ```
 */
export function tsvHeader(line: string): Order | undefined {
  const f = line.trim().toLowerCase().split("\t").map((s) => s.trim());
  if (f.length !== 2) return undefined;
  if (TEXT_NAMES.includes(f[0]) && LABEL_NAMES.includes(f[1])) return "text-label";
  if (LABEL_NAMES.includes(f[0]) && TEXT_NAMES.includes(f[1])) return "label-text";
  return undefined;
}

/** Which side of the tab the label is on. */
export type Order = "text-label" | "label-text";

/**
 * The column order of headerless lines: `label<TAB>text` when the first column repeats a few
 * values and the last hardly repeats (as labels and texts do), else `text<TAB>label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { guessOrder } from "./tsv.ts";
 * const texts = ["a fine film", "dull", "great cast", "weak plot", "loved it", "so slow", "fun", "meh"];
 * assert.equal(guessOrder(texts.map((t, i) => `${i % 2}\t${t}`)), "label-text");
 * assert.equal(guessOrder(texts.map((t, i) => `${t}\t${i % 2}`)), "text-label");
 * ```
 */
export function guessOrder(lines: readonly string[]): Order {
  const first = new Set(lines.map((l) => l.slice(0, l.indexOf("\t")).trim()));
  const last = new Set(lines.map((l) => l.slice(l.lastIndexOf("\t") + 1).trim()));
  const n = lines.length;
  return n >= 8 && last.size > n / 2 && first.size <= n / 4 ? "label-text" : "text-label";
}

/**
 * Reads `text<TAB>label` rows, or `label<TAB>text` ones when the header says so or, without a
 * header, the columns look that way ({@linkcode guessOrder}; said on stderr). The text may
 * itself hold tabs. Blank lines are skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTsv } from "./tsv.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/dev.tsv`, "sentence\tlabel\na charming film \t1\n");
 * const rows = await readTsv(`${dir}/dev.tsv`);
 * assert.equal(rows.length, 1);
 * assert.equal(rows[0].text, "a charming film");
 * assert.equal(rows[0].label, "1");
 * ```
 */
export async function readTsv(path: string, options: TsvOptions = {}): Promise<LabeledDoc[]> {
  const { header = "auto", encoding } = options;
  const lines: { line: string; no: number }[] = [];
  let order: Order | undefined;
  let lineNo = 0;
  for await (const line of readLines(path, encoding)) {
    lineNo++;
    if (!line.trim()) continue;
    if (!lines.length && order === undefined && header !== false) {
      order = header === true ? "text-label" : tsvHeader(line);
      if (order) continue;
    }
    if (!line.includes("\t")) throw rowError(path, lineNo, "expected text<TAB>label, found no tab");
    lines.push({ line, no: lineNo });
  }
  if (!order) {
    order = guessOrder(lines.map((l) => l.line));
    if (order === "label-text") {
      console.error(
        `${path}: read as label<TAB>text (its first column repeats a few values, its last ` +
          "hardly any); a header line `label<TAB>text` or `text<TAB>label` makes it explicit",
      );
    }
  }
  return lines.map(({ line, no }) => tsvRow(line, order!, path, no, options.unlabelled));
}

function tsvRow(
  line: string,
  order: Order,
  path: string,
  no: number,
  unlabelled = false,
): LabeledDoc {
  const tab = order === "text-label" ? line.lastIndexOf("\t") : line.indexOf("\t");
  const [left, right] = [line.slice(0, tab).trim(), line.slice(tab + 1).trim()];
  const [text, label] = order === "text-label" ? [left, right] : [right, left];
  if (text && !label && unlabelled) return { text, label: "" };
  // A labelled row without a text is left out, and counted, when the task is assembled.
  if (!text && label) return { text, label };
  if (!text || !label) {
    const shape = order === "text-label" ? "text<TAB>label" : "label<TAB>text";
    throw rowError(path, no, `expected ${shape}, found an empty ${text ? "label" : "text"}`);
  }
  return { text, label };
}
