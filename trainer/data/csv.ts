/**
 * A streaming RFC 4180 CSV parser: quoted fields may hold delimiters,
 * newlines and doubled quotes (`""`). Each record carries the line it
 * starts on, for error messages.
 *
 * @module
 */

import { rowError } from "./errors.ts";
import { type Encoding, readTextChunks } from "./text_io.ts";

/** One parsed record and the 1-based line it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Incremental parser: feed text with {@linkcode CsvParser.push}, then call
 * {@linkcode CsvParser.end}. Blank lines are skipped; `\r` outside data is
 * dropped, so CRLF files parse like LF ones.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CsvParser } from "./csv.ts";
 * const p = new CsvParser("x.csv");
 * const recs = [...p.push('1,"a, ""b""\nc"\n2,'), ...p.push("d\n"), ...p.end()];
 * assert.equal(recs[0].fields[1], 'a, "b"\nc');
 * assert.equal(recs[1].line, 3);
 * ```
 */
export class CsvParser {
  #path: string;
  #delim: string;
  #fields: string[] = [];
  #field = "";
  #quoted = false; // the current field started with a quote
  #inQuotes = false;
  #afterQuote = false; // just saw a quote that may close the field or start `""`
  #recordQuoted = false; // tells `""` (one empty field) from a blank line
  #line = 1;
  #recordLine = 1;
  #quoteLine = 1;

  constructor(path: string, delimiter = ",") {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === "\n") {
      throw new Error(`Cannot parse ${path}: delimiter ${JSON.stringify(delimiter)} is invalid`);
    }
    this.#path = path;
    this.#delim = delimiter;
  }

  /** Parses `chunk` and returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#inQuotes) {
        // Copy up to the next quote in one slice: quoted text is most of the data.
        const q = chunk.indexOf('"', i);
        const end = q < 0 ? n : q;
        const part = chunk.slice(i, end);
        this.#line += countNewlines(part);
        this.#field += part.includes("\r") ? part.replaceAll("\r", "") : part;
        i = end;
        if (q >= 0) {
          this.#inQuotes = false;
          this.#afterQuote = true;
          i++;
        }
        continue;
      }
      const c = chunk[i++];
      if (this.#afterQuote) {
        this.#afterQuote = false;
        if (c === '"') {
          this.#field += '"';
          this.#inQuotes = true;
          continue;
        }
        if (c !== this.#delim && c !== "\n" && c !== "\r") {
          throw rowError(
            this.#path,
            this.#line,
            `unexpected ${JSON.stringify(c)} after a closing quote; ` +
              'write a quote inside a quoted field as ""',
          );
        }
        if (c === "\r") {
          this.#afterQuote = true; // still waiting for the delimiter or newline
          continue;
        }
      }
      if (c === this.#delim) {
        this.#endField();
      } else if (c === "\n") {
        this.#endField();
        this.#endRecord(out);
        this.#line++;
        this.#recordLine = this.#line;
      } else if (c === '"' && this.#field === "" && !this.#quoted) {
        this.#inQuotes = this.#quoted = this.#recordQuoted = true;
        this.#quoteLine = this.#line;
      } else if (c !== "\r") {
        this.#field += c; // a stray quote inside an unquoted field is kept as text
      }
    }
    return out;
  }

  /** Finishes the input; throws if a quoted field was never closed. */
  end(): CsvRecord[] {
    if (this.#inQuotes) {
      throw rowError(
        this.#path,
        this.#quoteLine,
        "quoted field is never closed; add the closing quote",
      );
    }
    const out: CsvRecord[] = [];
    if (this.#field !== "" || this.#fields.length || this.#quoted) {
      this.#endField();
      this.#endRecord(out);
    }
    this.#afterQuote = false;
    return out;
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = "";
    this.#quoted = false;
  }

  #endRecord(out: CsvRecord[]): void {
    const f = this.#fields;
    this.#fields = [];
    const hadQuote = this.#recordQuoted;
    this.#recordQuoted = false;
    // A blank line is one empty unquoted field: skip it.
    if (f.length === 1 && f[0] === "" && !hadQuote) return;
    out.push({ fields: f, line: this.#recordLine });
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i >= 0; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/**
 * Parses a CSV text stream into records.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCsv } from "./csv.ts";
 * async function* text() { yield "a,b\n"; yield "c,d\n"; }
 * const recs = await Array.fromAsync(parseCsv(text(), "mem.csv"));
 * assert.equal(recs.length, 2);
 * assert.equal(recs[1].fields[0], "c");
 * ```
 */
export async function* parseCsv(
  chunks: AsyncIterable<string>,
  path: string,
  delimiter = ",",
): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser(path, delimiter);
  for await (const chunk of chunks) yield* parser.push(chunk);
  yield* parser.end();
}

/**
 * Streams the records of a (optionally gzipped) CSV file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCsv } from "./csv.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.csv`, '"1","x"\n');
 * const recs = await Array.fromAsync(readCsv(`${dir}/a.csv`));
 * assert.equal(recs[0].fields[1], "x");
 * ```
 */
export function readCsv(
  path: string,
  options: { delimiter?: string; encoding?: Encoding } = {},
): AsyncGenerator<CsvRecord> {
  return parseCsv(readTextChunks(path, options.encoding), path, options.delimiter);
}
