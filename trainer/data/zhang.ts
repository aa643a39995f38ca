/**
 * Zhang et al. (2015) classification CSVs (AG News, DBpedia, Yelp, Yahoo,
 * Amazon): `"label","title","text"`, `"label","text"` or Yahoo Answers'
 * `"label","title","question","answer"`, 1-based integer labels, literal `\n`
 * for newlines, optional `classes.txt` alongside.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { readCsv } from "./csv.ts";
import { rowError } from "./errors.ts";
import { type Encoding, readText } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";

/** Fields a Zhang-style row may have: the label and up to three text fields (Yahoo Answers). */
export const ZHANG_MAX_FIELDS = 4;

/** Rows plus the label list that goes with them. */
export interface LabeledRows {
  rows: LabeledDoc[];
  /** Class names in index order (every class, even one without rows here). */
  labels: string[];
}

/** Options of {@linkcode readZhangCsv}. */
export interface ZhangOptions {
  /** Class names for labels 1..n; overrides any classes file. */
  classes?: string[];
  /** A classes file (one name a line). Default: `classes.txt` beside the CSV, if present. */
  classesPath?: string;
  /** Text encoding; default `"auto"`. */
  encoding?: Encoding;
}

/**
 * Reads a Zhang-style CSV. Labels become class names from `classes.txt` when
 * there is one (else the label digits, e.g. `"3"`); the text fields (title and
 * text, or Yahoo's three) are joined by newlines. Every record must have as
 * many fields as the first (2 to {@linkcode ZHANG_MAX_FIELDS}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readZhangCsv } from "./zhang.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/classes.txt`, "World\nSports\n");
 * await Deno.writeTextFile(`${dir}/train.csv`, '"2","Goal!","Late\\nwinner"\n');
 * const { rows, labels } = await readZhangCsv(`${dir}/train.csv`);
 * assert.equal(rows[0].label, "Sports");
 * assert.equal(rows[0].text, "Goal!\nLate\nwinner");
 * assert.equal(labels.length, 2);
 * ```
 */
export async function readZhangCsv(path: string, options: ZhangOptions = {}): Promise<LabeledRows> {
  const classes = options.classes ?? await readClassesBeside(path, options.classesPath);
  const rows: LabeledDoc[] = [];
  const seen = new Set<number>();
  let width = 0;
  for await (const { fields, line } of readCsv(path, { encoding: options.encoding })) {
    if (width === 0) {
      if (fields.length < 2 || fields.length > ZHANG_MAX_FIELDS) {
        throw rowError(
          path,
          line,
          `expected 2 to ${ZHANG_MAX_FIELDS} fields ("label","title","text"), found ${fields.length}`,
        );
      }
      width = fields.length;
    } else if (fields.length !== width) {
      throw rowError(path, line, `expected ${width} fields, found ${fields.length}`);
    }
    const raw = fields[0].trim();
    const index = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(index >= 1)) {
      throw rowError(path, line, `label ${JSON.stringify(raw)} is not a 1-based class number`);
    }
    if (classes && index > classes.length) {
      throw rowError(
        path,
        line,
        `label ${index} is beyond the ${classes.length} classes listed; fix the row or classes.txt`,
      );
    }
    seen.add(index);
    const parts = fields.slice(1).map((f) => unescapeNewlines(f).trim()).filter((f) => f);
    rows.push({ text: parts.join("\n"), label: classes ? classes[index - 1] : String(index) });
  }
  const labels = classes ?? [...seen].sort((a, b) => a - b).map(String);
  return { rows, labels };
}

/**
 * Turns the literal two-character escape `\n` into a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unescapeNewlines } from "./zhang.ts";
 * assert.equal(unescapeNewlines("a\\nb"), "a\nb");
 * ```
 */
export function unescapeNewlines(text: string): string {
  return text.includes("\\n") ? text.replaceAll("\\n", "\n") : text;
}

/**
 * Reads a classes file: one class name per non-blank line, in label order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readClasses } from "./zhang.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/classes.txt`, "World\nSports\n\n");
 * assert.equal((await readClasses(`${dir}/classes.txt`)).length, 2);
 * ```
 */
export async function readClasses(path: string): Promise<string[]> {
  const names = (await readText(path)).split("\n").map((s) => s.trim()).filter((s) => s);
  if (names.length === 0) throw new Error(`Cannot read ${path}: no class names; list one a line`);
  if (new Set(names).size !== names.length) {
    throw new Error(`Cannot read ${path}: a class name is listed twice; make them unique`);
  }
  return names;
}

async function readClassesBeside(
  csvPath: string,
  classesPath?: string,
): Promise<string[] | undefined> {
  if (classesPath) return await readClasses(classesPath);
  const beside = join(dirname(csvPath), "classes.txt");
  try {
    await Deno.stat(beside);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  return await readClasses(beside);
}
