import assert from "node:assert/strict";
import { join } from "node:path";
import { readDirAtomic, recoverDir, writeDirAtomic, writeFileAtomic } from "./atomic.ts";

/** Runs `body` with a fresh temporary folder that is removed afterwards. */
async function withTempDir(body: (parent: string) => Promise<void>): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "fitlam-atomic-" });
  try {
    await body(parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** Reads every file of a folder as text, for easy comparisons. */
async function readTexts(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await listNames(dir)) out[name] = await Deno.readTextFile(join(dir, name));
  return out;
}

function decodeAll(files: Record<string, Uint8Array>): Record<string, string> {
  const decoder = new TextDecoder();
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, decoder.decode(v)]));
}

const ID = "0123456789abcdef";

Deno.test("writeFileAtomic writes and replaces a file, leaving no temp file", async () => {
  await withTempDir(async (parent) => {
    const path = join(parent, "f.bin");
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, "replaced ✓");
    assert.equal(await Deno.readTextFile(path), "replaced ✓");
    await writeFileAtomic(path, "");
    assert.equal(await Deno.readTextFile(path), "");
    assert.deepEqual(await listNames(parent), ["f.bin"]);
  });
});

Deno.test("writeFileAtomic reports a missing folder", async () => {
  await withTempDir(async (parent) => {
    const path = join(parent, "nope", "f.txt");
    await assert.rejects(
      () => writeFileAtomic(path, "x"),
      (error: Error) => {
        assert.match(error.message, /^Cannot write .*nope\/f\.txt atomically: /);
        assert.match(error.message, /check that its folder exists and is writable$/);
        assert.ok(error.cause instanceof Deno.errors.NotFound);
        return true;
      },
    );
    assert.deepEqual(await listNames(parent), []);
  });
});

Deno.test("writeFileAtomic removes its temp file when the final rename fails", async () => {
  await withTempDir(async (parent) => {
    // A non-empty folder at the target makes the rename fail after the write.
    const path = join(parent, "target");
    await Deno.mkdir(path);
    await Deno.writeTextFile(join(path, "keep.txt"), "kept");
    await assert.rejects(() => writeFileAtomic(path, "x"), /^Error: Cannot write .* atomically/);
    assert.deepEqual(await listNames(parent), ["target"]);
    assert.equal(await Deno.readTextFile(join(path, "keep.txt")), "kept");
  });
});

Deno.test("writeDirAtomic creates a folder, parents included", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "weights", "fwd");
    await writeDirAtomic(dir, { "a.txt": "alpha", "b.bin": new Uint8Array([0, 255]) });
    assert.deepEqual(await listNames(join(parent, "weights")), ["fwd"]);
    assert.equal(await Deno.readTextFile(join(dir, "a.txt")), "alpha");
    assert.deepEqual(await Deno.readFile(join(dir, "b.bin")), new Uint8Array([0, 255]));
  });
});

Deno.test("writeDirAtomic replaces the whole folder and leaves no temp folders", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await writeDirAtomic(dir, { "a.txt": "old a", "stale.txt": "old only" });
    await writeDirAtomic(`${dir}/`, { "a.txt": "new a", "c.txt": "new c" });
    assert.deepEqual(await readTexts(dir), { "a.txt": "new a", "c.txt": "new c" });
    assert.deepEqual(await listNames(parent), ["model"]);
  });
});

Deno.test("a failure mid-write leaves the old folder intact", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await writeDirAtomic(dir, { "a.txt": "old" });
    // The first file is written, then a name too long for the file system fails.
    await assert.rejects(
      () => writeDirAtomic(dir, { "a.txt": "new", ["x".repeat(300)]: "never" }),
      /^Error: Cannot write folder .*model: File name too long/,
    );
    assert.deepEqual(await readTexts(dir), { "a.txt": "old" });
    assert.deepEqual(await listNames(parent), ["model"]);
  });
});

Deno.test("writeDirAtomic refuses names that are not plain file names", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await writeDirAtomic(dir, { "a.txt": "old" });
    for (const name of ["", ".", "..", "../escape.txt", "sub/x.txt", "back\\slash", "nul\0"]) {
      await assert.rejects(
        () => writeDirAtomic(dir, { "a.txt": "new", [name]: "x" }),
        /is not a plain file name; use a name without slashes$/,
        JSON.stringify(name),
      );
    }
    assert.deepEqual(await readTexts(dir), { "a.txt": "old" });
    assert.deepEqual(await listNames(parent), ["model"]);
  });
});

Deno.test("writeDirAtomic refuses to replace a file with a folder", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await Deno.writeTextFile(dir, "a file");
    await assert.rejects(
      () => writeDirAtomic(dir, { "a.txt": "x" }),
      /Cannot write folder .*model: a file is in the way; remove it or pick another folder/,
    );
    assert.equal(await Deno.readTextFile(dir), "a file");
    assert.deepEqual(await listNames(parent), ["model"]);
  });
});

Deno.test("recovery: a partial temp folder next to the folder is discarded", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await writeDirAtomic(dir, { "a.txt": "current" });
    await Deno.mkdir(`${dir}.tmp-${ID}`);
    await Deno.writeTextFile(`${dir}.tmp-${ID}/a.txt`, "half writ");
    assert.deepEqual(decodeAll(await readDirAtomic(dir)), { "a.txt": "current" });
    await writeDirAtomic(dir, { "a.txt": "next" });
    assert.deepEqual(await listNames(parent), ["model"]);
    assert.deepEqual(await readTexts(dir), { "a.txt": "next" });
  });
});

Deno.test("recovery: a crash between the renames promotes the finished folder", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await Deno.mkdir(`${dir}.old-${ID}`);
    await Deno.writeTextFile(`${dir}.old-${ID}/a.txt`, "old");
    await Deno.mkdir(`${dir}.tmp-${ID}`);
    await Deno.writeTextFile(`${dir}.tmp-${ID}/a.txt`, "new");
    // An unrelated half-written temp folder from an earlier crash.
    await Deno.mkdir(`${dir}.tmp-ffffffffffffffff`);

    // Readers see the new version without changing anything.
    assert.deepEqual(decodeAll(await readDirAtomic(dir)), { "a.txt": "new" });
    assert.deepEqual(await listNames(parent), [
      `model.old-${ID}`,
      `model.tmp-${ID}`,
      "model.tmp-ffffffffffffffff",
    ]);

    await recoverDir(dir);
    assert.deepEqual(await listNames(parent), ["model"]);
    assert.deepEqual(await readTexts(dir), { "a.txt": "new" });
  });
});

Deno.test("recovery: an old folder without its pair is put back", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await Deno.mkdir(`${dir}.old-${ID}`);
    await Deno.writeTextFile(`${dir}.old-${ID}/a.txt`, "old");
    assert.deepEqual(decodeAll(await readDirAtomic(dir)), { "a.txt": "old" });
    await writeDirAtomic(join(parent, "other"), { "x": "unrelated" }); // recovers only "other"
    assert.ok(await listNames(parent).then((names) => names.includes(`model.old-${ID}`)));
    await recoverDir(dir);
    assert.deepEqual(await readTexts(dir), { "a.txt": "old" });
    assert.deepEqual(await listNames(parent), ["model", "other"]);
  });
});

Deno.test("recovery: an old folder left after the swap is deleted; look-alikes stay", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await writeDirAtomic(dir, { "a.txt": "current" });
    await Deno.mkdir(`${dir}.old-${ID}`);
    await Deno.mkdir(`${dir}.del-fedcba9876543210`);
    await Deno.writeTextFile(join(parent, "model.tmp-notes"), "not ours");
    await Deno.writeTextFile(join(parent, "model.txt"), "not ours");
    await recoverDir(dir);
    assert.deepEqual(await listNames(parent), ["model", "model.tmp-notes", "model.txt"]);
    assert.deepEqual(await readTexts(dir), { "a.txt": "current" });
  });
});

Deno.test("recoverDir does nothing when there is nothing to recover", async () => {
  await withTempDir(async (parent) => {
    await recoverDir(join(parent, "missing", "model"));
    await recoverDir(join(parent, "model"));
    assert.deepEqual(await listNames(parent), []);
  });
});

Deno.test("readDirAtomic reads all files or the named ones", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    await writeDirAtomic(dir, { "a.txt": "A", "b.txt": "B" });
    await Deno.mkdir(join(dir, "sub")); // folders are not files
    assert.deepEqual(decodeAll(await readDirAtomic(dir)), { "a.txt": "A", "b.txt": "B" });
    assert.deepEqual(decodeAll(await readDirAtomic(dir, ["b.txt", "zzz"])), { "b.txt": "B" });
    await assert.rejects(
      () => readDirAtomic(dir, ["../a.txt"]),
      /Cannot read folder .*not a plain/,
    );
  });
});

Deno.test("readDirAtomic reports a missing folder or a file in its place", async () => {
  await withTempDir(async (parent) => {
    await assert.rejects(
      () => readDirAtomic(join(parent, "nope")),
      (error: Error) => {
        assert.ok(error instanceof Deno.errors.NotFound);
        assert.match(error.message, /^Cannot read folder .*nope: folder not found$/);
        return true;
      },
    );
    await Deno.writeTextFile(join(parent, "file"), "x");
    await assert.rejects(
      () => readDirAtomic(join(parent, "file")),
      /Cannot read folder .*file: it is a file, not a folder/,
    );
  });
});

Deno.test("concurrent readers always see one consistent version", async () => {
  await withTempDir(async (parent) => {
    const dir = join(parent, "model");
    const version = (i: number) => ({
      "a.txt": `${i}`,
      "big.txt": `${i}:`.padEnd(200_000, "."),
      "z.txt": `${i}`,
    });
    await writeDirAtomic(dir, version(0));
    let writing = true;
    const writer = (async () => {
      for (let i = 1; i <= 40; i++) await writeDirAtomic(dir, version(i));
      writing = false;
    })();
    let reads = 0;
    const readers = [1, 2, 3].map(async () => {
      while (writing) {
        const files = decodeAll(await readDirAtomic(dir));
        assert.deepEqual(Object.keys(files).sort(), ["a.txt", "big.txt", "z.txt"]);
        assert.equal(files["z.txt"], files["a.txt"]);
        assert.ok(files["big.txt"].startsWith(`${files["a.txt"]}:`));
        reads++;
      }
    });
    // Wait for every task, so a failing reader cannot leave the writer running.
    const results = await Promise.allSettled([writer, ...readers]);
    for (const result of results) if (result.status === "rejected") throw result.reason;
    assert.ok(reads > 0);
    assert.deepEqual(await listNames(parent), ["model"]);
  });
});
