/**
 * Tab-separated `text<TAB>label` files (SST-2 style), with an optional
 * header line such as `sentence<TAB>label`.
 *
 * @module
 */

import { rowError } from "./errors.ts";
import { type Encoding, readLines } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";

/** Options of {@linkcode readTsv}. */
export interface TsvOptions {
  /** Whether the first line is a header; default `"auto"` (detected by its names). */
  header?: boolean | "auto";
  /** Text encoding; default `"auto"`. */
  encoding?: Encoding;
}

const TEXT_NAMES = new Set(["sentence", "text", "review", "document", "phrase", "content"]);

/**
 * True for a header line like `sentence<TAB>label` or `text<TAB>label`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTsvHeader } from "./tsv.ts";
 * assert.ok(isTsvHeader("sentence\tlabel"));
 * assert.ok(!isTsvHeader("good film\t1"));
 * ```
 */
export function isTsvHeader(line: string): boolean {
  const f = line.trim().toLowerCase().split("\t").map((s) => s.trim());
  return f.length === 2 && TEXT_NAMES.has(f[0]) && f[1] === "label";
}

/**
 * Reads `text<TAB>label` rows. The label is after the last tab, so text may
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
  const rows: LabeledDoc[] = [];
  let lineNo = 0;
  let first = true;
  for await (const line of readLines(path, encoding)) {
    lineNo++;
    if (!line.trim()) continue;
    if (first) {
      first = false;
      if (header === true || (header === "auto" && isTsvHeader(line))) continue;
    }
    const tab = line.lastIndexOf("\t");
    if (tab < 0) throw rowError(path, lineNo, "expected text<TAB>label, found no tab");
    const text = line.slice(0, tab).trim();
    const label = line.slice(tab + 1).trim();
    if (!text || !label) {
      throw rowError(
        path,
        lineNo,
        `expected text<TAB>label, found an empty ${text ? "label" : "text"}`,
      );
    }
    rows.push({ text, label });
  }
  return rows;
}
