import assert from "node:assert/strict";
import { placeFiles, readFolders } from "./folders.ts";
import { detectTaskFormat, loadTask } from "./tasks.ts";
import { gzip, tempFiles, writeTar } from "./test_util.ts";

const quiet = { log: () => {} };

/** 20 Newsgroups' layout: split folders named with a prefix, a README, an unsup folder, junk. */
function newsgroups(): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {
    "news/README": "about this set",
    "news/20news-bydate-train/.DS_Store": "x",
    "news/20news-bydate-train/unsup/u1": "no label here",
    "news/20news-bydate-train/unsup/u2": "nor here",
    "news/20news-bydate-train/sci.space/image.gif": new Uint8Array([71, 73, 70, 0, 1, 2]),
    // Latin-1 bytes, as 20 Newsgroups' files are: "café".
    "news/20news-bydate-test/sci.space/9": new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
  };
  for (let i = 0; i < 6; i++) {
    files[`news/20news-bydate-train/sci.space/${i}`] = ` orbit ${i}\n`;
    files[`news/20news-bydate-train/rec.autos/${i}`] = `engine ${i}`;
  }
  files["news/20news-bydate-test/rec.autos/8"] = "brakes";
  return files;
}

Deno.test("placeFiles: label folders, split folders by name, containers and hidden files", () => {
  const { placed, skipped } = placeFiles([
    "README",
    "d/train/README",
    "d/train/pos/1.txt",
    "d/train/unsup/2.txt",
    "d/test/unsup/3.txt",
    "d/dev/neg/4.txt",
    "d/my_test/neg/5.txt",
    "d/train/pos/.hidden",
    "__MACOSX/d/train/pos/._1.txt",
  ]);
  assert.deepEqual(Object.fromEntries(placed), {
    "d/train/pos/1.txt": { split: "train", label: "pos" },
    "d/train/unsup/2.txt": { split: "train", label: "" },
    "d/dev/neg/4.txt": { split: "valid", label: "neg" },
    "d/my_test/neg/5.txt": { split: "test", label: "neg" },
  });
  assert.deepEqual(skipped.toSorted(), [
    "README",
    "__MACOSX/d/train/pos/._1.txt",
    "d/test/unsup/3.txt",
    "d/train/README",
    "d/train/pos/.hidden",
  ]);
  // A folder that holds label folders is no label, even where it holds files too.
  const nested = placeFiles(["a/x.txt", "a/b/y.txt"]);
  assert.deepEqual([...nested.placed.keys()], ["a/b/y.txt"]);
  assert.deepEqual(nested.skipped, ["a/x.txt"]);
});

Deno.test("placeFiles: a label folder beside split folders is refused, by name", () => {
  assert.throws(
    () => placeFiles(["d/train/pos/1", "d/test/pos/2", "d/extra/3"]),
    /Cannot read class folders: d\/extra\/ is a label folder outside the split folders/,
  );
});

Deno.test("readFolders: a folder and its tarball give the same parts; skips are printed", async () => {
  await using dir = await tempFiles(newsgroups());
  const lines: string[] = [];
  const fromDir = await readFolders(`${dir.path}/news`, { log: (l) => lines.push(l) });
  assert.deepEqual(fromDir.train.map((d) => d.label), [
    ...Array(6).fill("rec.autos"),
    ...Array(6).fill("sci.space"),
  ]);
  assert.equal(fromDir.train[6].text, "orbit 0"); // trimmed
  assert.deepEqual(fromDir.test, [
    { text: "brakes", label: "rec.autos" },
    { text: "café", label: "sci.space" },
  ]);
  assert.equal(fromDir.valid, undefined);
  assert.deepEqual(fromDir.unlabeled, ["no label here", "nor here"]);
  assert.match(lines[0], /12 train documents in 2 label folders; 2 test; 2 unlabelled/);
  assert.match(lines[0], /skipped 2 files outside label folders or hidden \(.*README/);
  assert.match(lines[0], /skipped 1 binary files/);

  // The same files in a .tar.gz, in another order, named as `tar -C news .` names them.
  const members = Object.entries(newsgroups()).toReversed()
    .map(([name, data]) => ({ name: name.replace(/^news\//, "./"), data }));
  const tgz = `${dir.path}/news.tar.gz`;
  await Deno.writeFile(tgz, await gzip(writeTar([{ name: "./" }, ...members])));
  assert.deepEqual(await readFolders(tgz, quiet), fromDir);
  assert.equal(await detectTaskFormat(tgz), "folders");
  assert.equal(await detectTaskFormat(`${dir.path}/news`), "folders");
});

Deno.test("readFolders: maxPerClass keeps the same seeded files from a folder and a tarball", async () => {
  await using dir = await tempFiles(newsgroups());
  const tar = `${dir.path}/news.tar`;
  const members = Object.entries(newsgroups()).map(([name, data]) => ({ name, data }));
  await Deno.writeFile(tar, writeTar(members));
  const options = { maxPerClass: 2, maxUnlabeled: 1, seed: 7, ...quiet };
  const lines: string[] = [];
  const a = await readFolders(`${dir.path}/news`, { ...options, log: (l) => lines.push(l) });
  assert.match(lines[0], /: 4 of 12 train documents in 2 label folders; 2 test; 1 of 2 unlabelled/);
  const b = await readFolders(tar, options);
  assert.deepEqual(a, b);
  assert.equal(a.train.length, 4);
  assert.equal(a.unlabeled!.length, 1);
  const other = await readFolders(tar, { ...options, seed: 8 });
  assert.equal(other.train.length, 4);
});

Deno.test("loadTask: class folders without splits get seeded test/valid splits", async () => {
  const files: Record<string, string> = { "bbc/README.TXT": "the BBC set" };
  for (let i = 0; i < 10; i++) {
    files[`bbc/sport/${i}.txt`] = `match ${i}`;
    files[`bbc/tech/${i}.txt`] = `chip ${i}`;
  }
  await using dir = await tempFiles(files);
  const task = await loadTask({ train: `${dir.path}/bbc`, seed: 3 });
  assert.deepEqual(task.labels, ["sport", "tech"]);
  assert.equal(task.name, "bbc");
  assert.equal(task.train.length + task.valid!.length + task.test.length, 20);
  assert.equal(task.test.length, 4);
  assert.ok(!task.train.some((d) => d.text.includes("BBC")));
});

Deno.test("loadTask: class folders with --test given as another folder", async () => {
  await using dir = await tempFiles({
    "tr/a/1": "one",
    "tr/a/2": "two",
    "tr/b/3": "three",
    "tr/b/4": "four",
    "te/a/5": "five",
    "te/b/6": "six",
  });
  const task = await loadTask({
    train: `${dir.path}/tr`,
    test: `${dir.path}/te`,
    validFraction: 0,
  });
  assert.deepEqual(task.test.map((d) => d.text), ["five", "six"]);
  assert.equal(task.train.length, 4);
  // A train folder that brings its own test split and a --test as well: refused, not merged.
  await using both = await tempFiles({ "d/train/a/1": "x", "d/train/b/2": "y", "d/test/a/3": "z" });
  await assert.rejects(
    loadTask({ train: `${both.path}/d`, test: `${dir.path}/te` }),
    /it has test folders and test is also given as .*te; drop one of them/,
  );
});

Deno.test("readFolders: no document in a label folder is a clear error", async () => {
  await using dir = await tempFiles({ "flat/a.txt": "x", "flat/b.txt": "y" });
  await assert.rejects(
    readFolders(`${dir.path}/flat`, quiet),
    /Cannot read class folders .*flat: no file lies in a label folder; put each document in LABEL\/NAME/,
  );
  await assert.rejects(
    readFolders(`${dir.path}/flat/a.txt`, quiet),
    /not a folder or \.tar\.gz\/\.tgz\/\.tar/,
  );
});

Deno.test("detectTaskFormat: IMDb's layout stays IMDb", async () => {
  await using dir = await tempFiles({
    "x/train/pos/0_9.txt": "good",
    "x/train/neg/1_2.txt": "bad",
    "x/test/pos/2_8.txt": "fine",
    "x/test/neg/3_1.txt": "awful",
  });
  assert.equal(await detectTaskFormat(`${dir.path}/x`), "imdb");
  const tar = `${dir.path}/reviews.tar`;
  await Deno.writeFile(tar, writeTar([{ name: "x/test/neg/3_1.txt", data: "awful" }]));
  assert.equal(await detectTaskFormat(tar), "imdb");
});
