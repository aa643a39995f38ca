/**
 * TREC question classification (Li & Roth 2002): `COARSE:fine question`
 * per line; the training file is Latin-1, decoded as such automatically.
 *
 * @module
 */

import { rowError } from "./errors.ts";
import { type Encoding, readText } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";

/** Options of {@linkcode readTrec}. */
export interface TrecOptions {
  /** Label with the fine class (`"HUM:ind"`) instead of the coarse one (`"HUM"`). */
  fine?: boolean;
  /** Text encoding; default `"auto"` (UTF-8, else Latin-1). */
  encoding?: Encoding;
}

const ROW = /^([A-Z]+):(\S+)\s+(\S.*)$/;

/**
 * Reads a TREC label file; the label is the coarse class (6 for TREC-6).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTrec } from "./trec.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/t.label`, "HUM:ind Who wrote Hamlet ?\n");
 * const rows = await readTrec(`${dir}/t.label`);
 * assert.equal(rows[0].label, "HUM");
 * assert.equal(rows[0].text, "Who wrote Hamlet ?");
 * ```
 */
export async function readTrec(path: string, options: TrecOptions = {}): Promise<LabeledDoc[]> {
  const rows: LabeledDoc[] = [];
  const lines = (await readText(path, options.encoding)).split("\n");
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = ROW.exec(line);
    if (!m) {
      throw rowError(path, i + 1, 'expected "COARSE:fine question text"');
    }
    rows.push({ text: m[3].trim(), label: options.fine ? `${m[1]}:${m[2]}` : m[1] });
  });
  return rows;
}
