/**
 * Data for FitLaM/ULMFiT: general-domain corpora for LM pretraining,
 * target-task readers (IMDb, class folders, Zhang et al. CSV, TREC, TSV,
 * CSV/JSONL, fastText), and
 * the default npm-shipped data. Every reader yields raw text; tokenization
 * happens elsewhere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTask, readCorpus } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/c.txt`, "one doc\nanother doc\n");
 * assert.equal((await Array.fromAsync(readCorpus(`${dir}/c.txt`))).length, 2);
 * assert.equal(typeof loadTask, "function");
 * ```
 *
 * @module
 */

export type { LabeledDoc, TaskData } from "./types.ts";
export { type CorpusFormat, type CorpusOptions, readCorpus } from "./corpus.ts";
export { isWikiTitle, wikiDocuments } from "./wikitext.ts";
export { partSizes, seededHash, splitHeldOut, stratifiedSplit } from "./split.ts";
export { detectTaskFormat, loadTask, type TaskFormat, type TaskSpec } from "./tasks.ts";
export { type AssembleOptions, assembleTask, sortLabels, type TaskParts } from "./assemble.ts";
export { cleanReview, type ImdbOptions, readImdb } from "./imdb.ts";
export { type FolderOptions, placeFiles, readFolders } from "./folders.ts";
export { type LabeledRows, readClasses, readZhangCsv, type ZhangOptions } from "./zhang.ts";
export { readTrec, type TrecOptions } from "./trec.ts";
export { guessOrder, readTsv, tsvHeader, type TsvOptions } from "./tsv.ts";
export { type FastTextOptions, readFastText } from "./fasttext.ts";
export { type FieldOptions, readFieldCsv, readJsonl } from "./fields.ts";
export { CsvParser, type CsvRecord, parseCsv, readCsv } from "./csv.ts";
export { readTar, type TarEntry } from "./tar.ts";
export {
  decodeBytes,
  type Encoding,
  openBytes,
  readLines,
  readText,
  readTextChunks,
} from "./text_io.ts";
export {
  DEFAULT_SOURCES,
  type DefaultTaskOptions,
  loadDefaultCorpus,
  loadDefaultTask,
} from "./default.ts";
export { decodeQuotedPrintable, emailBody } from "./email.ts";
