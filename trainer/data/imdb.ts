/**
 * IMDb Large Movie Review data (Maas et al. 2011) as distributed: the
 * `aclImdb` folder or `aclImdb_v1.tar.gz`, read straight from the archive.
 *
 * @module
 */

import { SeededSubset } from "./subset.ts";
import { readTar } from "./tar.ts";
import { decodeBytes, openBytes, readText, statOrThrow } from "./text_io.ts";
import type { LabeledDoc, TaskData } from "./types.ts";

/** Options of {@linkcode readImdb}. */
export interface ImdbOptions {
  /** Keep at most this many reviews per class in each of train and test (seeded). */
  maxPerClass?: number;
  /** Keep at most this many `train/unsup` reviews (seeded). Default: all. */
  maxUnlabeled?: number;
  /** Read `train/unsup` at all. Default true. */
  unlabeled?: boolean;
  /** Seed for the subsets. Default 42. */
  seed?: number;
}

// e.g. aclImdb/train/pos/123_9.txt; the rating after "_" is not the label.
const MEMBER = /(?:^|\/)(train|test)\/(pos|neg|unsup)\/(\d+_\d+\.txt)$/;

/** Whether an archive member is an IMDb review (`…/train/pos/123_9.txt`). */
export function isImdbMember(name: string): boolean {
  return MEMBER.test(name);
}

/**
 * Reads IMDb into a task: `train/{pos,neg}` → train, `test/{pos,neg}` → test,
 * `train/unsup` → unlabeled; labels `["neg", "pos"]`. `path` is the
 * `aclImdb` folder, a folder holding it, or the `.tar.gz`/`.tgz`/`.tar`.
 * `<br />` tags become newlines. Subsets (`maxPerClass`, `maxUnlabeled`)
 * are the same for the folder and the archive under one seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readImdb } from "./imdb.ts";
 * const dir = await Deno.makeTempDir();
 * for (const d of ["train/pos", "train/neg", "test/pos", "test/neg"]) {
 *   await Deno.mkdir(`${dir}/aclImdb/${d}`, { recursive: true });
 *   await Deno.writeTextFile(`${dir}/aclImdb/${d}/0_5.txt`, `a ${d} review`);
 * }
 * const task = await readImdb(dir);
 * assert.equal(task.train.length, 2);
 * assert.equal(task.test.length, 2);
 * ```
 */
export async function readImdb(path: string, options: ImdbOptions = {}): Promise<TaskData> {
  const { maxPerClass, maxUnlabeled, unlabeled = true, seed = 42 } = options;
  const labelled = new SeededSubset<LabeledDoc>(maxPerClass, seed);
  const unsup = new SeededSubset<string>(maxUnlabeled, seed);
  // Offers one member; `read` runs only when the member can still be kept.
  const offer = async (rel: string, read: () => Promise<string>) => {
    const m = MEMBER.exec(rel);
    if (!m) return;
    const [, split, cls, file] = m;
    const key = `${split}/${cls}/${file}`;
    if (cls === "unsup") {
      if (split === "train" && unlabeled && unsup.wants("unsup", key)) {
        unsup.add("unsup", key, cleanReview(await read()));
      }
    } else if (labelled.wants(`${split}/${cls}`, key)) {
      labelled.add(`${split}/${cls}`, key, { text: cleanReview(await read()), label: cls });
    }
  };

  if ((await statOrThrow(path)).isDirectory) {
    const root = await findRoot(path);
    for (const split of ["train", "test"]) {
      for (const cls of ["neg", "pos", ...(split === "train" && unlabeled ? ["unsup"] : [])]) {
        for (const name of await listTxt(`${root}/${split}/${cls}`)) {
          await offer(`${split}/${cls}/${name}`, () => readText(`${root}/${split}/${cls}/${name}`));
        }
      }
    }
  } else if (/\.(tar\.gz|tgz|tar)$/i.test(path)) {
    for await (const entry of readTar(await openBytes(path), path)) {
      if (entry.type !== "file") continue;
      await offer(entry.name, async () => decodeBytes(await entry.bytes(), "auto", entry.name));
    }
  } else {
    throw new Error(
      `Cannot read IMDb data ${path}: not a folder or .tar.gz; pass aclImdb/ or aclImdb_v1.tar.gz`,
    );
  }

  const train = [...labelled.values("train/neg"), ...labelled.values("train/pos")];
  const test = [...labelled.values("test/neg"), ...labelled.values("test/pos")];
  for (const [split, rows] of [["train", train], ["test", test]] as const) {
    for (const cls of ["neg", "pos"]) {
      if (maxPerClass !== 0 && !rows.some((r) => r.label === cls)) {
        throw new Error(
          `Cannot read IMDb data ${path}: no ${split}/${cls}/*.txt reviews found; ` +
            "pass the aclImdb folder or aclImdb_v1.tar.gz as distributed",
        );
      }
    }
  }
  const task: TaskData = { train, test, labels: ["neg", "pos"], name: "imdb", source: path };
  if (unlabeled) task.unlabeled = unsup.values("unsup");
  return task;
}

/**
 * IMDb reviews carry HTML line breaks; turn them into newlines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanReview } from "./imdb.ts";
 * assert.equal(cleanReview("Great.<br /><br />Really. "), "Great.\n\nReally.");
 * ```
 */
export function cleanReview(text: string): string {
  return text.replace(/<br\s*\/?>/gi, "\n").trim();
}

async function findRoot(path: string): Promise<string> {
  for (const root of [path, `${path}/aclImdb`]) {
    try {
      if ((await Deno.stat(`${root}/train`)).isDirectory) return root;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new Error(
    `Cannot read IMDb data ${path}: no train/ or aclImdb/train/ inside; ` +
      "pass the aclImdb folder or aclImdb_v1.tar.gz",
  );
}

async function listTxt(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".txt")) names.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return names; // reported once, per class, below
    throw e;
  }
  return names;
}
