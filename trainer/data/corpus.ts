/**
 * General-domain corpora for LM pretraining, streamed one document at a time
 * so a large corpus is never held as raw text and as documents at once.
 *
 * @module
 */

import { type Encoding, readLines, readText, statOrThrow } from "./text_io.ts";
import { isWikiTitle, wikiDocuments } from "./wikitext.ts";

/**
 * How a corpus path is laid out:
 * - `folder`: a folder of `.txt` files, one document each, in name order;
 * - `wikitext`: ` = Title = ` lines start documents (`.tokens`, WikiExtractor dumps);
 * - `lines`: one document per non-blank line;
 * - `paragraphs`: documents separated by blank lines;
 * - `auto`: decided from the path and the first non-blank line.
 */
export type CorpusFormat = "auto" | "folder" | "wikitext" | "lines" | "paragraphs";

/** Options of {@linkcode readCorpus}. */
export interface CorpusOptions {
  /** Plain text only: blank lines separate documents instead of every line being one. */
  blankLineSeparated?: boolean;
  /** Force a layout instead of detecting it. Default `"auto"`. */
  format?: CorpusFormat;
  /** Text encoding; default `"auto"` (UTF-8, Latin-1 fallback for small files). */
  encoding?: Encoding;
}

/**
 * Streams the documents of a corpus. Detects the layout (see
 * {@linkcode CorpusFormat}): a folder; `.tokens` (or `.tokens.gz`) is
 * WikiText; otherwise plain text, treated as WikiText when its first
 * non-blank line is a ` = Title = ` header. `.gz` files are gunzipped as
 * they stream. Documents are trimmed; empty ones are skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCorpus } from "./corpus.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/c.txt`, "first doc\n\nsecond doc\n");
 * const docs = await Array.fromAsync(readCorpus(`${dir}/c.txt`));
 * assert.equal(docs.length, 2);
 * assert.equal(docs[1], "second doc");
 * ```
 */
export async function* readCorpus(
  path: string,
  options: CorpusOptions = {},
): AsyncGenerator<string> {
  const { encoding = "auto", blankLineSeparated = false } = options;
  let format = options.format ?? "auto";
  if (format === "auto" && (await statOrThrow(path)).isDirectory) format = "folder";
  if (format === "folder") {
    yield* folderDocuments(path, encoding);
    return;
  }
  if (format === "auto" && /\.tokens(\.gz)?$/i.test(path)) format = "wikitext";
  const lines = readLines(path, encoding);
  // Peek at the first non-blank line to detect title headers, then replay it.
  const head: string[] = [];
  if (format === "auto") {
    for (let r = await lines.next(); !r.done; r = await lines.next()) {
      head.push(r.value);
      if (r.value.trim()) break;
    }
    const first = head.at(-1) ?? "";
    format = isWikiTitle(first) ? "wikitext" : blankLineSeparated ? "paragraphs" : "lines";
  }
  const all = replay(head, lines);
  if (format === "wikitext") yield* wikiDocuments(all);
  else if (format === "paragraphs") yield* paragraphs(all);
  else {
    for await (const line of all) {
      const t = line.trim();
      if (t) yield t;
    }
  }
}

async function* replay(head: string[], rest: AsyncIterable<string>): AsyncGenerator<string> {
  yield* head;
  yield* rest;
}

async function* paragraphs(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let para: string[] = [];
  for await (const line of lines) {
    const t = line.trim();
    if (t) {
      para.push(t);
    } else if (para.length) {
      yield para.join("\n");
      para = [];
    }
  }
  if (para.length) yield para.join("\n");
}

async function* folderDocuments(dir: string, encoding: Encoding): AsyncGenerator<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.toLowerCase().endsWith(".txt")) names.push(e.name);
  }
  if (names.length === 0) {
    throw new Error(`Cannot read corpus ${dir}: the folder has no .txt files; add some`);
  }
  // Code-unit order, not locale order, so every machine reads the same sequence.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const text = (await readText(`${dir}/${name}`, encoding)).trim();
    if (text) yield text;
  }
}
