/**
 * Class folders: one folder per label, one document per file, the layout of
 * fastai's `TextDataLoaders.from_folder` and scikit-learn's `load_files`, and
 * of sets such as 20 Newsgroups (`20news-bydate-train/`, `20news-bydate-test/`)
 * or BBC News (`bbc/business/001.txt`). Read from the folder or straight from
 * its `.tar.gz`/`.tgz`/`.tar`.
 *
 * @module
 */

import type { TaskParts } from "./assemble.ts";
import { SeededSubset } from "./subset.ts";
import { readTar } from "./tar.ts";
import { decodeBytes, openBytes, statOrThrow } from "./text_io.ts";
import type { LabeledDoc } from "./types.ts";

/** Options of {@linkcode readFolders}. */
export interface FolderOptions {
  /** Keep at most this many documents per label in each split (seeded). */
  maxPerClass?: number;
  /** Keep at most this many unlabelled documents (seeded). Default: all. */
  maxUnlabeled?: number;
  /** Seed for the subsets. Default 42. */
  seed?: number;
  /** Where the summary line goes (default stderr). */
  log?: (line: string) => void;
}

type Split = "train" | "valid" | "test";

// A split folder's name: "train", "20news-bydate-train", "dev", "validation"…
const SPLITS: readonly [Split, RegExp][] = [
  ["train", /(^|[-_. ])(train|training)$/i],
  ["valid", /(^|[-_. ])(valid|validation|val|dev)$/i],
  ["test", /(^|[-_. ])(test|testing)$/i],
];
const UNLABELLED = /^(unsup|unlabeled|unlabelled)$/i;

/** Where a file's document goes: its split (none: the whole pool) and label ("" unlabelled). */
export interface Placement {
  split?: Split;
  label: string;
}

/** How {@linkcode placeFiles} reads a listing. */
export interface Layout {
  placed: Map<string, Placement>;
  /** Files outside any label folder, hidden files, unlabelled folders outside train. */
  skipped: string[];
}

/**
 * Places each file of a listing (paths relative to the folder, `/`-separated).
 * A label folder is a folder that holds files and no folder with files; its
 * name is the label. When its parent is named like a split (`train`, `test`,
 * `valid`/`dev`, also as a suffix: `20news-bydate-test`) the file goes to that
 * split. `unsup`/`unlabeled` folders under train hold unlabelled text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { placeFiles } from "./folders.ts";
 * const { placed, skipped } = placeFiles(["bbc/README.TXT", "bbc/sport/1.txt", "bbc/tech/1.txt"]);
 * assert.deepEqual(placed.get("bbc/sport/1.txt"), { split: undefined, label: "sport" });
 * assert.deepEqual(skipped, ["bbc/README.TXT"]);
 * ```
 */
export function placeFiles(paths: readonly string[]): Layout {
  const skipped: string[] = [];
  const files = paths.filter((p) => {
    const hidden = p.split("/").some((part) => part.startsWith(".") || part === "__MACOSX");
    if (hidden) skipped.push(p);
    return !hidden;
  });
  const parent = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf("/")));
  const containers = new Set<string>();
  for (const f of files) for (let d = parent(parent(f)); d; d = parent(d)) containers.add(d);
  const placed = new Map<string, Placement>();
  let splitFolders = 0;
  for (const f of files) {
    const dir = parent(f);
    if (!dir || containers.has(dir)) {
      skipped.push(f);
      continue;
    }
    const label = dir.slice(dir.lastIndexOf("/") + 1);
    const above = parent(dir);
    const split = SPLITS.find(([, re]) => re.test(above.slice(above.lastIndexOf("/") + 1)))?.[0];
    if (split) splitFolders++;
    const unlabelled = UNLABELLED.test(label);
    if (unlabelled && split && split !== "train") skipped.push(f);
    else placed.set(f, { split, label: unlabelled ? "" : label });
  }
  if (splitFolders && splitFolders < placed.size) {
    const loose = [...placed].find(([, p]) => !p.split)![0];
    throw new Error(
      `Cannot read class folders: ${parent(loose)}/ is a label folder outside the split folders ` +
        "(train/, test/, valid/) beside it; move it into one of them",
    );
  }
  return { placed, skipped };
}

/**
 * Reads class folders (see {@linkcode placeFiles}) from a folder or a tarball into task parts:
 * train, and test/valid when the folders have them (else the caller splits them off train),
 * and the unlabelled documents. Files are decoded as UTF-8, else Latin-1; binary files (a NUL
 * byte) are skipped. What is skipped is printed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFolders } from "./folders.ts";
 * const dir = await Deno.makeTempDir();
 * for (const [path, text] of [["train/ham/a.txt", "see you"], ["train/spam/b.txt", "win"],
 *   ["test/ham/c.txt", "lunch?"], ["test/spam/d.txt", "free"]]) {
 *   await Deno.mkdir(`${dir}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
 *   await Deno.writeTextFile(`${dir}/${path}`, text);
 * }
 * const parts = await readFolders(dir, { log: () => {} });
 * assert.deepEqual(parts.train.map((d) => d.label), ["ham", "spam"]);
 * assert.deepEqual(parts.test!.map((d) => d.text), ["lunch?", "free"]);
 * ```
 */
export async function readFolders(path: string, options: FolderOptions = {}): Promise<TaskParts> {
  const { maxPerClass, maxUnlabeled, seed = 42, log = console.error } = options;
  const source = await folderSource(path);
  const { placed, skipped } = placeFiles(await source.list());
  if (!placed.size) {
    throw new Error(
      `Cannot read class folders ${path}: no file lies in a label folder; put each document in ` +
        "LABEL/NAME, or train/LABEL/NAME and test/LABEL/NAME",
    );
  }
  const labelled = new SeededSubset<LabeledDoc>(maxPerClass, seed);
  const unsup = new SeededSubset<string>(maxUnlabeled, seed);
  // Documents per part before subsets; a binary file is not one.
  const found = { train: 0, valid: 0, test: 0, unlabelled: 0 };
  const part = (p: Placement) => p.label ? p.split ?? "train" : "unlabelled";
  for (const p of placed.values()) found[part(p)]++;
  let binary = 0;
  await source.read(
    (name) => {
      const p = placed.get(name);
      if (!p) return false;
      const key = subsetKey(name, p);
      return p.label ? labelled.wants(groupOf(p), key) : unsup.wants("", key);
    },
    (name, bytes) => {
      const p = placed.get(name)!, key = subsetKey(name, p);
      if (bytes.subarray(0, 4096).includes(0)) return void (binary++, found[part(p)]--);
      const text = decodeBytes(bytes, "auto", name).trim();
      if (p.label) labelled.add(groupOf(p), key, { text, label: p.label });
      else unsup.add("", key, text);
    },
  );
  const rows = (split?: Split) => {
    const labels = new Set<string>();
    for (const p of placed.values()) if (p.label && p.split === split) labels.add(p.label);
    return [...labels].sort().flatMap((label) => labelled.values(groupOf({ split, label })));
  };
  const parts: TaskParts = { train: [...rows(undefined), ...rows("train")] };
  for (const split of ["valid", "test"] as const) {
    const kept = rows(split);
    if (kept.length) parts[split] = kept;
  }
  const unlabeled = unsup.values("");
  if (unlabeled.length) parts.unlabeled = unlabeled;
  log(folderSummary(path, parts, found, { skipped, binary }));
  return parts;
}

/** A labelled document's subset group: its split and label. */
function groupOf(p: Placement): string {
  return `${p.split ?? ""}/${p.label}`;
}

/** The seeded subsets' key: the split, label folder and file name, wherever the root lies. */
function subsetKey(name: string, p: Placement): string {
  return `${p.split}/${name.split("/").slice(-2).join("/")}`;
}

function folderSummary(
  path: string,
  parts: TaskParts,
  found: Record<"train" | "valid" | "test" | "unlabelled", number>,
  dropped: { skipped: string[]; binary: number },
): string {
  const n = (x: number) => x.toLocaleString("en-US");
  // "800 of 960 train": a subset (--max-per-class, --max-unlabeled) is said, never silent.
  const count = (kept: number, of: number) => of > kept ? `${n(kept)} of ${n(of)}` : n(kept);
  const labels = new Set(parts.train.map((d) => d.label)).size;
  const pieces = [
    `${count(parts.train.length, found.train)} train documents in ${labels} label folders`,
  ];
  if (parts.valid) pieces.push(`${count(parts.valid.length, found.valid)} valid`);
  if (parts.test) pieces.push(`${count(parts.test.length, found.test)} test`);
  if (parts.unlabeled) pieces.push(`${count(parts.unlabeled.length, found.unlabelled)} unlabelled`);
  const { skipped, binary } = dropped;
  if (skipped.length) {
    const shown = skipped.slice(0, 3).join(", ") + (skipped.length > 3 ? ", …" : "");
    pieces.push(`skipped ${n(skipped.length)} files outside label folders or hidden (${shown})`);
  }
  if (binary) pieces.push(`skipped ${n(binary)} binary files`);
  return `class folders ${path}: ${pieces.join("; ")}`;
}

/** A folder or a tarball, listed once and then read, so nothing is kept that is not wanted. */
interface FolderSource {
  list(): Promise<string[]>;
  read(
    wants: (name: string) => boolean,
    take: (name: string, bytes: Uint8Array) => void,
  ): Promise<void>;
}

async function folderSource(path: string): Promise<FolderSource> {
  if ((await statOrThrow(path)).isDirectory) {
    const walkAll = async () => {
      const out: string[] = [];
      const walk = async (rel: string) => {
        for await (const e of Deno.readDir(rel ? `${path}/${rel}` : path)) {
          const name = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory) await walk(name);
          else if (e.isFile) out.push(name);
        }
      };
      await walk("");
      return out;
    };
    // Walked once: reading goes over the same listing.
    let listing: Promise<string[]> | undefined;
    const list = () => listing ??= walkAll();
    return {
      list,
      read: async (wants, take) => {
        for (const name of await list()) {
          if (wants(name)) take(name, await Deno.readFile(`${path}/${name}`));
        }
      },
    };
  }
  if (!/\.(tar\.gz|tgz|tar)$/i.test(path)) {
    throw new Error(
      `Cannot read class folders ${path}: not a folder or .tar.gz/.tgz/.tar; pass one of those`,
    );
  }
  const entries = async function* () {
    for await (const e of readTar(await openBytes(path), path)) {
      // "./train/pos/1.txt" (tar run inside the folder) is "train/pos/1.txt".
      if (e.type === "file") yield { name: e.name.replace(/^(\.\/)+/, ""), bytes: e.bytes };
    }
  };
  return {
    list: async () => (await Array.fromAsync(entries())).map((e) => e.name),
    read: async (wants, take) => {
      for await (const e of entries()) if (wants(e.name)) take(e.name, await e.bytes());
    },
  };
}
