/**
 * Generic labelled files with named fields: CSV with a header row, and JSON
 * Lines (one object a line). Field names default to `text` and `label`.
 *
 * @module
 */

import { LABEL_RULE, labelText, parseJsonObject } from "../../shared/jsonl.ts";
import { readCsv } from "./csv.ts";
import { rowError } from "./errors.ts";
import { chooseFields, type ChosenFields } from "./field_names.ts";
import { decodeBytes, type Encoding, firstBytes, readLines } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";

/** Options of {@linkcode readFieldCsv} and {@linkcode readJsonl}. */
export interface FieldOptions {
  /** Text field name, or several joined by newlines (e.g. `["title", "body"]`). Default `"text"`. */
  textField?: string | string[];
  /** Label field name. Default `"label"`. */
  labelField?: string;
  /** CSV delimiter. Default: `","`, or `";"` when the header line has semicolons and no comma. */
  delimiter?: string;
  /** Text encoding; default `"auto"`. */
  encoding?: Encoding;
  /**
   * Keep rows whose label is empty (or JSON `null`) as unlabelled text, with label `""`, instead
   * of refusing them. Default false.
   */
  unlabelled?: boolean;
}

/**
 * Reads a CSV whose first row names the columns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFieldCsv } from "./fields.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.csv`, 'id,review,stars\n1,"Nice, really",5\n');
 * const rows = await readFieldCsv(`${dir}/a.csv`, { textField: "review", labelField: "stars" });
 * assert.equal(rows[0].text, "Nice, really");
 * assert.equal(rows[0].label, "5");
 * ```
 */
export async function readFieldCsv(
  path: string,
  options: FieldOptions = {},
): Promise<LabeledDoc[]> {
  const rows: LabeledDoc[] = [];
  let header: string[] | undefined;
  let textAt: number[] = [];
  let labelAt = -1;
  const delimiter = options.delimiter ?? await sniffDelimiter(path, options.encoding);
  for await (const { fields, line } of readCsv(path, { ...options, delimiter })) {
    if (!header) {
      header = fields.map((f) => f.trim());
      const chosen = namedFields(header, options, path, line);
      textAt = chosen.text.map((name) => header!.indexOf(name));
      labelAt = header.indexOf(chosen.label);
      continue;
    }
    if (fields.length !== header.length) {
      throw rowError(path, line, `expected ${header.length} fields, found ${fields.length}`);
    }
    rows.push(makeRow(textAt.map((i) => fields[i]), fields[labelAt], path, line, options));
  }
  return rows;
}

/**
 * `";"` where the file's first line has semicolons and no comma (spreadsheets in locales whose
 * decimal mark is the comma save CSV so), else `","`; says so when it is `";"`.
 */
async function sniffDelimiter(path: string, encoding?: Encoding): Promise<string> {
  // The first chunk holds the header line. Latin-1 never fails: strict UTF-8 could on a
  // character cut at the chunk's end.
  const start = await firstBytes(path);
  const first = decodeBytes(start, encoding === "utf-8" ? "latin1" : encoding).split("\n")[0];
  if (first.includes(",") || !first.includes(";")) return ",";
  console.error(`note: ${path}: fields separated by ";" (its first line has no comma)`);
  return ";";
}

/**
 * Reads JSON Lines: one object per non-blank line. A numeric or boolean
 * label becomes its string form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readJsonl } from "./fields.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.jsonl`, '{"text":"hi","label":1}\n');
 * const rows = await readJsonl(`${dir}/a.jsonl`);
 * assert.equal(rows[0].text, "hi");
 * assert.equal(rows[0].label, "1");
 * ```
 */
export async function readJsonl(path: string, options: FieldOptions = {}): Promise<LabeledDoc[]> {
  const rows: LabeledDoc[] = [];
  let fields: ChosenFields | undefined;
  let lineNo = 0;
  for await (const line of readLines(path, options.encoding)) {
    lineNo++;
    if (!line.trim()) continue;
    let rec: Record<string, unknown>;
    try {
      rec = parseJsonObject(line);
    } catch (e) {
      throw rowError(path, lineNo, (e as Error).message);
    }
    const get = (name: string, option: string) => {
      if (!(name in rec)) {
        throw rowError(path, lineNo, `no field ${JSON.stringify(name)}; pass ${option}`);
      }
      return rec[name];
    };
    fields ??= namedFields(Object.keys(rec), options, path, lineNo);
    const texts = fields.text.map((f) => get(f, "--text-field"));
    if (texts.some((t) => typeof t !== "string")) {
      throw rowError(path, lineNo, "expected the text field to be a string");
    }
    rows.push(
      makeRow(texts as string[], get(fields.label, "--label-field"), path, lineNo, options),
    );
  }
  return rows;
}

/** The fields to read from a file whose first row or record has `names`; says any guess. */
function namedFields(
  names: string[],
  options: FieldOptions,
  path: string,
  line: number,
): ChosenFields {
  let fields: ChosenFields;
  try {
    fields = chooseFields(names, options);
  } catch (e) {
    throw rowError(path, line, (e as Error).message);
  }
  if (fields.note) console.error(`${path}: ${fields.note}`);
  return fields;
}

function makeRow(
  texts: string[],
  label: unknown,
  path: string,
  line: number,
  options: FieldOptions,
): LabeledDoc {
  const text = texts.map((t) => t.trim()).filter((t) => t).join("\n");
  const l = labelText(label);
  if (l !== undefined) return { text, label: l };
  const empty = label === null || (typeof label === "string" && !label.trim());
  if (options.unlabelled && empty) return { text, label: "" };
  throw rowError(path, line, `expected the label to be ${LABEL_RULE}`);
}
