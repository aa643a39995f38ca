/**
 * Crash-safe writes: a reader sees either the old file (or folder) or the new
 * one, never a partial or mixed state.
 *
 * Folders are written with a swap of sibling folders next to `dir`:
 *
 * 1. write every file into `dir.tmp-<id>` and fsync it;
 * 2. rename `dir` to `dir.old-<id>` (skipped when `dir` does not exist yet);
 * 3. rename `dir.tmp-<id>` to `dir`;
 * 4. rename `dir.old-<id>` to `dir.del-<id>` and delete that; the rename comes
 *    first so that a reader never picks up a half-deleted folder.
 *
 * A crash can leave these states behind, all repaired by {@linkcode recoverDir}
 * (which {@linkcode writeDirAtomic} runs first):
 *
 * - `dir` present plus `dir.tmp-<id>` (crash in step 1): the temp folder may
 *   be incomplete and is deleted.
 * - `dir` missing, `dir.old-<id>` and `dir.tmp-<id>` present (crash between
 *   steps 2 and 3): the temp folder is complete, because step 2 only starts
 *   after step 1 finished, so it is renamed to `dir`; the old one is deleted.
 * - `dir` missing, only `dir.old-<id>` present: it is renamed back to `dir`.
 * - `dir` present plus `dir.old-<id>` or `dir.del-<id>` (crash in step 4):
 *   the old one is deleted.
 *
 * {@linkcode readDirAtomic} never changes anything on disk: when `dir` is
 * missing it reads the folder that recovery would put in place, and it
 * re-reads if the folder was swapped while it was reading.
 *
 * Only one writer per folder at a time: recovery deletes temp folders, so a
 * second concurrent writer can make the first one fail (never corrupt it).
 * Leftover `NAME.tmp-<id>` files from a crashed {@linkcode writeFileAtomic}
 * are never read and are safe to delete.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";

/** How often {@linkcode readDirAtomic} retries a folder that keeps changing. */
const MAX_READ_ATTEMPTS = 20;

const ID_PATTERN = /^[0-9a-f]{16}$/;

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? new TextEncoder().encode(data) : data;
}

/** Writes a new file (failing if it exists) and flushes it to disk. */
async function writeNewFileSynced(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = toBytes(data);
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    // write() may accept fewer bytes than offered.
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } finally {
    file.close();
  }
}

/**
 * Flushes a directory's entries so a rename inside it survives a power loss.
 * Best effort: some platforms (Windows) cannot open a directory for this.
 */
async function syncDir(path: string): Promise<void> {
  try {
    const dir = await Deno.open(path, { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // Durability hint only; the data itself is already synced.
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch {
    // Already gone, or undeletable: leftovers are cleaned up by recoverDir.
  }
}

/** Null when nothing exists at `path`. */
async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Replaces the file at `path` with `data` atomically: the data goes to a
 * uniquely named temporary file in the same directory, is fsynced, then
 * renamed over `path`. On failure the temporary file is removed and an error
 * naming `path` is thrown; the previous file, if any, is untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/note.txt`, "hello");
 * assert.equal(await Deno.readTextFile(`${dir}/note.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `${basename(path)}.tmp-${randomId()}`);
  try {
    await writeNewFileSynced(temp, data);
    await Deno.rename(temp, path);
  } catch (error) {
    await removeQuietly(temp);
    throw new Error(
      `Cannot write ${path} atomically: ${describe(error)}; check that its folder exists ` +
        "and is writable",
      { cause: error },
    );
  }
  await syncDir(dirname(path));
}

interface Leftovers {
  temps: Map<string, string>;
  olds: Map<string, string>;
  deletions: Map<string, string>;
}

/** The `dir.tmp-<id>`, `dir.old-<id>` and `dir.del-<id>` siblings a writer may have left. */
async function findLeftovers(target: string): Promise<Leftovers> {
  const parent = dirname(target);
  const base = basename(target);
  const leftovers: Leftovers = { temps: new Map(), olds: new Map(), deletions: new Map() };
  try {
    for await (const entry of Deno.readDir(parent)) {
      for (
        const [kind, map] of [
          ["tmp", leftovers.temps],
          ["old", leftovers.olds],
          ["del", leftovers.deletions],
        ] as const
      ) {
        const prefix = `${base}.${kind}-`;
        const id = entry.name.slice(prefix.length);
        if (entry.name.startsWith(prefix) && ID_PATTERN.test(id)) {
          map.set(id, join(parent, entry.name));
        }
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return leftovers;
}

/**
 * The folder a crashed swap left holding the current content, when `dir`
 * itself is missing: the finished new folder if its pair exists, else the old.
 */
function crashSurvivor(leftovers: Leftovers): string | null {
  const ids = [...leftovers.olds.keys()].sort();
  for (const id of ids) {
    const temp = leftovers.temps.get(id);
    if (temp !== undefined) return temp;
  }
  return ids.length > 0 ? leftovers.olds.get(ids[0])! : null;
}

/**
 * Repairs what a crashed {@linkcode writeDirAtomic} left next to `dir` (see
 * the module docs) and deletes the leftovers. Safe to call at any time when
 * no writer is running; {@linkcode writeDirAtomic} calls it itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recoverDir } from "./atomic.ts";
 * const parent = await Deno.makeTempDir();
 * await Deno.mkdir(`${parent}/model.old-0123456789abcdef`); // as if a swap crashed
 * await recoverDir(`${parent}/model`);
 * assert.ok((await Deno.stat(`${parent}/model`)).isDirectory);
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function recoverDir(dir: string): Promise<void> {
  const target = resolve(dir);
  try {
    const leftovers = await findLeftovers(target);
    if ((await statOrNull(target)) === null) {
      const survivor = crashSurvivor(leftovers);
      if (survivor !== null) {
        await Deno.rename(survivor, target);
        await syncDir(dirname(target));
      }
    }
    for (const map of [leftovers.temps, leftovers.olds, leftovers.deletions]) {
      for (const path of map.values()) {
        if ((await statOrNull(path)) !== null) await removeQuietly(path);
      }
    }
  } catch (error) {
    throw new Error(`Cannot recover folder ${dir}: ${describe(error)}`, { cause: error });
  }
}

function checkFileName(action: string, dir: string, name: string): void {
  if (name === "" || name === "." || name === ".." || /[/\\\0]/.test(name)) {
    throw new Error(
      `Cannot ${action} folder ${dir}: ${JSON.stringify(name)} is not a plain file name; ` +
        "use a name without slashes",
    );
  }
}

/**
 * Replaces the folder `dir` with exactly `files` (name → content), so that a
 * reader never sees a mix of old and new files; see the module docs for the
 * swap and for crash recovery. Parent folders are created as needed. On
 * failure the previous folder is left as it was.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDirAtomic, writeDirAtomic } from "./atomic.ts";
 * const parent = await Deno.makeTempDir();
 * await writeDirAtomic(`${parent}/model`, { "a.txt": "1", "b.bin": new Uint8Array([2]) });
 * const files = await readDirAtomic(`${parent}/model`);
 * assert.equal(new TextDecoder().decode(files["a.txt"]), "1");
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function writeDirAtomic(
  dir: string,
  files: Record<string, Uint8Array | string>,
): Promise<void> {
  for (const name of Object.keys(files)) checkFileName("write", dir, name);
  const target = resolve(dir);
  const parent = dirname(target);
  const fail = (error: unknown): never => {
    throw new Error(`Cannot write folder ${dir}: ${describe(error)}`, { cause: error });
  };

  try {
    await Deno.mkdir(parent, { recursive: true });
  } catch (error) {
    fail(error);
  }
  await recoverDir(dir);
  const existing = await statOrNull(target).catch(fail);
  if (existing !== null && !existing.isDirectory) {
    fail("a file is in the way; remove it or pick another folder");
  }

  const id = randomId();
  const temp = `${target}.tmp-${id}`;
  const old = `${target}.old-${id}`;
  try {
    await Deno.mkdir(temp);
    for (const [name, data] of Object.entries(files)) {
      await writeNewFileSynced(join(temp, name), data);
    }
    await syncDir(temp);
  } catch (error) {
    await removeQuietly(temp);
    fail(error);
  }

  let movedOld = false;
  try {
    if (existing !== null) {
      await Deno.rename(target, old);
      movedOld = true;
    }
    await Deno.rename(temp, target);
  } catch (error) {
    // Put the previous folder back before reporting.
    if (movedOld) await Deno.rename(old, target).catch(() => {});
    await removeQuietly(temp);
    fail(error);
  }
  await syncDir(parent);
  if (movedOld) await retire(old, `${target}.del-${id}`);
}

/** Deletes a replaced folder, first moving it out of the names readers use. */
async function retire(old: string, deleted: string): Promise<void> {
  try {
    await Deno.rename(old, deleted);
  } catch {
    return; // Left as `.old-`; complete, so readers may still use it, and recovery deletes it.
  }
  await removeQuietly(deleted);
}

/** Something that changes whenever a different folder is put at a path. */
async function folderIdentity(path: string): Promise<string | null> {
  const info = await statOrNull(path);
  if (info === null) return null;
  // Without inode numbers (some Windows setups) swaps go undetected here;
  // folder.ts still catches mismatched files by their checksum.
  return `${info.dev}:${info.ino ?? ""}:${info.birthtime?.getTime() ?? ""}`;
}

async function readFilesIn(
  source: string,
  names: string[] | undefined,
): Promise<Record<string, Uint8Array>> {
  const wanted = names ?? [];
  if (names === undefined) {
    for await (const entry of Deno.readDir(source)) {
      if (entry.isFile) wanted.push(entry.name);
    }
  }
  const entries: [string, Uint8Array][] = [];
  for (const name of wanted) {
    try {
      entries.push([name, await Deno.readFile(join(source, name))]);
    } catch (error) {
      // A missing name is reported by its absence from the result; a swap
      // that caused it is caught by the identity check.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return Object.fromEntries(entries);
}

/**
 * Reads the files of a folder written by {@linkcode writeDirAtomic} as one
 * consistent version: if a writer swaps the folder mid-read, it reads again.
 * With `names`, reads just those files, leaving out any that do not exist;
 * without, reads every regular file. Never modifies the disk. Throws
 * `Deno.errors.NotFound` when the folder does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDirAtomic, writeDirAtomic } from "./atomic.ts";
 * const parent = await Deno.makeTempDir();
 * await writeDirAtomic(`${parent}/m`, { "x.txt": "x" });
 * const files = await readDirAtomic(`${parent}/m`, ["x.txt", "missing.txt"]);
 * assert.ok("x.txt" in files);
 * assert.ok(!("missing.txt" in files));
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function readDirAtomic(
  dir: string,
  names?: string[],
): Promise<Record<string, Uint8Array>> {
  for (const name of names ?? []) checkFileName("read", dir, name);
  const target = resolve(dir);
  for (let attempt = 1;; attempt++) {
    let source: string | null = target;
    const info = await statOrNull(target);
    if (info === null) {
      source = crashSurvivor(await findLeftovers(target));
      // A writer may have finished its swap between the stat and the listing.
      if (source === null && (await statOrNull(target)) === null) {
        throw new Deno.errors.NotFound(`Cannot read folder ${dir}: folder not found`);
      }
    } else if (!info.isDirectory) {
      throw new Error(`Cannot read folder ${dir}: it is a file, not a folder`);
    }

    const before = source === null ? null : await folderIdentity(source);
    if (source !== null && before !== null) {
      try {
        const files = await readFilesIn(source, names);
        if ((await folderIdentity(source)) === before) return files;
      } catch (error) {
        // The folder vanished under us (a swap); anything else is real.
        if (!(error instanceof Deno.errors.NotFound)) {
          throw new Error(`Cannot read folder ${dir}: ${describe(error)}`, { cause: error });
        }
      }
    }
    if (attempt >= MAX_READ_ATTEMPTS) {
      throw new Error(
        `Cannot read folder ${dir}: it kept changing during ${MAX_READ_ATTEMPTS} attempts; ` +
          "retry once the writer is done",
      );
    }
    await new Promise((done) => setTimeout(done, attempt * 5));
  }
}
