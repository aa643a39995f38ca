/**
 * One entry point for target tasks: {@linkcode loadTask} picks the reader by
 * format (or detects it), reads train/valid/test, and assembles a checked
 * {@linkcode TaskData} with seeded splits for missing parts.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { assembleTask } from "./assemble.ts";
import { readCsv } from "./csv.ts";
import { hasLabelWord } from "../../shared/fasttext.ts";
import { readFastText } from "./fasttext.ts";
import { type FieldOptions, readFieldCsv, readJsonl } from "./fields.ts";
import { readFolders } from "./folders.ts";
import { type ImdbOptions, isImdbMember, readImdb } from "./imdb.ts";
import { readTar } from "./tar.ts";
import { type Encoding, firstBytes, openBytes, readLines, statOrThrow } from "./text_io.ts";
import { readTrec } from "./trec.ts";
import { readTsv } from "./tsv.ts";
import type { LabeledDoc, TaskData } from "./types.ts";
import { readZhangCsv, ZHANG_MAX_FIELDS } from "./zhang.ts";

/**
 * Task file formats. `csv` is a Zhang et al. CSV when its first field is a
 * class number and no field names are given, else a CSV with a header row;
 * `zhang` forces the former. `folders`: one folder per label (see `folders.ts`). `fasttext`:
 * `__label__NAME text` lines (see `fasttext.ts`).
 */
export type TaskFormat =
  | "auto"
  | "imdb"
  | "folders"
  | "csv"
  | "zhang"
  | "trec"
  | "tsv"
  | "jsonl"
  | "fasttext";

const FORMATS = '"auto", "imdb", "folders", "csv", "zhang", "trec", "tsv", "jsonl" or "fasttext"';

/** Everything {@linkcode loadTask} needs; only `train` is required. */
export interface TaskSpec extends FieldOptions, ImdbOptions {
  /** File format; default `"auto"` (see {@linkcode detectTaskFormat}). */
  format?: TaskFormat;
  /** Train file (for IMDb: the `aclImdb` folder or `aclImdb_v1.tar.gz`). */
  train: string;
  /** Test file; default: a seeded, stratified `testFraction` of train. */
  test?: string;
  /** Valid file; default: a seeded, stratified `validFraction` of the remaining train. */
  valid?: string;
  /** Task name for logs; default `imdb` or the train file's folder name. */
  name?: string;
  /** Seed for splits and subsets. Default 42. */
  seed?: number;
  /** Default 0.2. */
  testFraction?: number;
  /** Default 0.1; 0 for no valid split. */
  validFraction?: number;
  /** Zhang CSV class names for labels 1..n (else `classes.txt` beside the train file). */
  classes?: string[];
  /** Zhang CSV classes file. */
  classesPath?: string;
  /** TREC: label with fine classes. */
  fine?: boolean;
  /** TSV: whether there is a header line; default detected. */
  header?: boolean | "auto";
  /** Text encoding; default `"auto"`. */
  encoding?: Encoding;
}

/**
 * Loads a target task from files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadTask } from "./tasks.ts";
 * const dir = await Deno.makeTempDir();
 * const lines = Array.from({ length: 20 }, (_, i) => `review ${i}\t${i % 2}`);
 * await Deno.writeTextFile(`${dir}/train.tsv`, lines.join("\n"));
 * const task = await loadTask({ train: `${dir}/train.tsv` });
 * assert.equal(task.labels.join(), "0,1");
 * assert.equal(task.test.length, 4);
 * ```
 */
export async function loadTask(spec: TaskSpec): Promise<TaskData> {
  const seed = spec.seed ?? 42;
  let format = spec.format ?? "auto";
  if (format === "auto") format = await detectTaskFormat(spec.train);
  const split = { seed, testFraction: spec.testFraction, validFraction: spec.validFraction };
  if (format === "imdb") {
    if (spec.test || spec.valid) {
      throw new Error(
        "Cannot load IMDb: it brings its own test split; drop the test/valid paths",
      );
    }
    const imdb = await readImdb(spec.train, { ...spec, seed });
    return assembleTask(imdb, { ...split, name: spec.name ?? "imdb", source: spec.train });
  }
  if (format === "folders") return await loadFolders(spec, split);
  if (format === "csv" && !spec.textField && !spec.labelField && await looksZhang(spec)) {
    format = "zhang";
  }
  let labels: string[] | undefined;
  // Train rows may leave the label empty: unlabelled text (stage 2, self-training).
  const read = async (path: string, unlabelled = false): Promise<LabeledDoc[]> => {
    switch (format) {
      case "zhang": {
        // classes.txt lives beside the train file; test/valid use the same list.
        const classesPath = spec.classesPath ?? await besideTrain(spec.train);
        const r = await readZhangCsv(path, { ...spec, classesPath });
        // With a class list, keep it whole so a class without train rows is reported.
        if (spec.classes || classesPath) labels ??= r.labels;
        return r.rows;
      }
      case "csv":
        return await readFieldCsv(path, { ...spec, unlabelled });
      case "jsonl":
        return await readJsonl(path, { ...spec, unlabelled });
      case "trec":
        return await readTrec(path, spec);
      case "tsv":
        return await readTsv(path, { ...spec, unlabelled });
      case "fasttext":
        return await readFastText(path, { ...spec, unlabelled });
      default:
        throw new Error(
          `Cannot load task: unknown format ${JSON.stringify(format)}; use ${FORMATS}`,
        );
    }
  };
  const rows = await read(spec.train, true);
  const train = rows.filter((r) => r.label !== "");
  const unlabeled = rows.filter((r) => r.label === "").map((r) => r.text);
  if (unlabeled.length) {
    console.error(
      `${spec.train}: ${unlabeled.length.toLocaleString("en-US")} rows without a label, read as ` +
        "unlabelled text (stage 2 and the self-trained bag of words)",
    );
  }
  const test = spec.test ? await read(spec.test) : undefined;
  const valid = spec.valid ? await read(spec.valid) : undefined;
  const name = spec.name ?? basename(dirname(resolve(spec.train)));
  const source = [spec.train, spec.valid, spec.test].filter((p) => p).join(", ");
  return assembleTask(
    { train, test, valid, labels, ...(unlabeled.length ? { unlabeled } : {}) },
    { ...split, name, source },
  );
}

/** Class folders: train (and test/valid when the folders have them, or from --test/--valid). */
async function loadFolders(
  spec: TaskSpec,
  split: { seed: number; testFraction?: number; validFraction?: number },
): Promise<TaskData> {
  const options = { maxPerClass: spec.maxPerClass, maxUnlabeled: spec.maxUnlabeled, ...split };
  const parts = await readFolders(spec.train, options);
  for (const key of ["test", "valid"] as const) {
    const path = spec[key];
    if (!path) continue;
    if (parts[key]) {
      throw new Error(
        `Cannot load ${spec.train}: it has ${key} folders and ${key} is also given as ${path}; ` +
          "drop one of them",
      );
    }
    const other = await readFolders(path, options);
    parts[key] = [...other.train, ...other.valid ?? [], ...other.test ?? []];
  }
  const name = spec.name ?? basename(resolve(spec.train)).replace(/\.(tar\.gz|tgz|tar)$/i, "");
  const source = [spec.train, spec.valid, spec.test].filter((p) => p).join(", ");
  return assembleTask(parts, { ...split, name, source });
}

async function besideTrain(train: string): Promise<string | undefined> {
  const path = `${dirname(train)}/classes.txt`;
  try {
    return (await Deno.stat(path)).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

async function looksZhang(spec: TaskSpec): Promise<boolean> {
  for await (const { fields } of readCsv(spec.train, spec)) {
    return /^\d+$/.test(fields[0].trim()) && fields.length >= 2 &&
      fields.length <= ZHANG_MAX_FIELDS;
  }
  return false;
}

/** Formats people export data sets in that are not text, by their first bytes. */
const BINARY_FORMATS: [number[], string][] = [
  [[0x50, 0x41, 0x52, 0x31], "a Parquet file"], // PAR1
  [[0x50, 0x4b, 0x03, 0x04], "a zip archive (an Excel .xlsx workbook is one)"],
  [[0xd0, 0xcf, 0x11, 0xe0], "an Excel .xls workbook"],
  [[0x53, 0x51, 0x4c, 0x69], "an SQLite database"], // SQLi(te format 3)
];

/** Refuses a file whose first bytes name a binary format, with the fix. */
async function refuseBinary(path: string): Promise<void> {
  const start = await firstBytes(path);
  const hit = BINARY_FORMATS.find(([magic]) => magic.every((b, i) => start[i] === b));
  if (hit) {
    throw new Error(
      `Cannot read ${path}: it is ${hit[1]}, not text; export it as CSV (UTF-8) or JSON Lines ` +
        "with a text and a label column",
    );
  }
}

/**
 * Detects a task file's format: a folder or tarball is IMDb when it has its
 * layout (`aclImdb` in the name, `train/pos/…`), else class folders; then by
 * extension (`.csv`, `.tsv`, `.jsonl`/`.ndjson`, `.label`, also under
 * `.gz`); else by the first non-blank line (a `__label__` word → fasttext,
 * `COARSE:fine …` → trec, `{` → jsonl, a tab → tsv, a comma or quote → csv).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectTaskFormat } from "./tasks.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/sentiment-dev`, "a fine film\t1\n");
 * assert.equal(await detectTaskFormat(`${dir}/sentiment-dev`), "tsv");
 * ```
 */
export async function detectTaskFormat(path: string): Promise<Exclude<TaskFormat, "auto">> {
  const isDirectory = (await statOrThrow(path)).isDirectory;
  if (isDirectory || /\.(tar\.gz|tgz|tar)$/i.test(path)) {
    return await looksImdb(path, isDirectory) ? "imdb" : "folders";
  }
  const ext = /\.([a-z]+)$/i.exec(path.replace(/\.gz$/i, ""))?.[1].toLowerCase();
  const byExt: Record<string, Exclude<TaskFormat, "auto">> = {
    csv: "csv",
    tsv: "tsv",
    jsonl: "jsonl",
    ndjson: "jsonl",
    label: "trec",
  };
  await refuseBinary(path); // also where the name says .csv
  if (ext && byExt[ext]) return byExt[ext];
  for await (const raw of readLines(path)) {
    const line = raw.trim();
    if (!line) continue;
    if (hasLabelWord(line)) return "fasttext";
    if (/^[A-Z]+:\S+\s/.test(line)) return "trec";
    if (line.startsWith("{")) return "jsonl";
    if (raw.includes("\t")) return "tsv";
    if (line.startsWith('"') || line.includes(",")) return "csv";
    break;
  }
  throw new Error(
    `Cannot detect the format of ${path}: its first line is not fastText, TREC, JSONL, TSV or CSV; ` +
      `pass format (${FORMATS.replace('"auto", ', "")})`,
  );
}

/** IMDb's layout: `aclImdb` in the name or inside, reviews named `ID_RATING.txt` in `train/pos`. */
async function looksImdb(path: string, isDirectory: boolean): Promise<boolean> {
  if (/aclImdb/i.test(basename(path))) return true;
  if (isDirectory) {
    if (await Deno.stat(`${path}/aclImdb`).then((s) => s.isDirectory, () => false)) return true;
    for (const cls of ["pos", "neg"]) {
      try {
        for await (const e of Deno.readDir(`${path}/train/${cls}`)) {
          if (e.isFile) return isImdbMember(`train/${cls}/${e.name}`);
        }
      } catch { /* no such folder */ }
    }
    return false;
  }
  let seen = 0;
  for await (const e of readTar(await openBytes(path), path)) {
    if (e.type !== "file") continue;
    if (isImdbMember(e.name)) return true;
    if (++seen >= 64) break;
  }
  return false;
}
