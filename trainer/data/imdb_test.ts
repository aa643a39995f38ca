import assert from "node:assert/strict";
import { cleanReview, readImdb } from "./imdb.ts";
import { gzip, tempFiles, writeTar } from "./test_util.ts";

function sample(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const split of ["train", "test"]) {
    for (const [cls, rating] of [["pos", 9], ["neg", 2]] as const) {
      for (let id = 0; id < 6; id++) {
        files[`aclImdb/${split}/${cls}/${id}_${rating}.txt`] =
          `${split} ${cls} ${id}<br /><br />end`;
      }
    }
  }
  for (let id = 0; id < 4; id++) files[`aclImdb/train/unsup/${id}_0.txt`] = `unsup ${id}`;
  files["aclImdb/imdb.vocab"] = "the\nand\n";
  files["aclImdb/train/labeledBow.feat"] = "0 0:1\n";
  return files;
}

async function sampleTarGz(): Promise<Uint8Array> {
  const files = Object.entries(sample()).toReversed(); // archive order differs from folder order
  return await gzip(
    writeTar([{ name: "aclImdb/" }, ...files.map(([name, data]) => ({ name, data }))]),
  );
}

Deno.test("readImdb: folder layout, labels, unlabeled text, <br /> as newlines", async () => {
  await using dir = await tempFiles(sample());
  for (const path of [dir.path, `${dir.path}/aclImdb`]) {
    const task = await readImdb(path);
    assert.deepEqual(task.labels, ["neg", "pos"]);
    assert.equal(task.train.length, 12);
    assert.equal(task.test.length, 12);
    assert.equal(task.unlabeled!.length, 4);
    assert.deepEqual(task.train[0], { text: "train neg 0\n\nend", label: "neg" });
    assert.equal(task.train.filter((r) => r.label === "pos").length, 6);
    assert.equal(task.name, "imdb");
  }
});

Deno.test("readImdb: the .tar.gz gives exactly what the folder gives, subsets included", async () => {
  await using dir = await tempFiles({ ...sample(), "aclImdb_v1.tar.gz": await sampleTarGz() });
  const options = { maxPerClass: 2, maxUnlabeled: 3, seed: 5 };
  const fromDir = await readImdb(dir.path, options);
  const fromTar = await readImdb(`${dir.path}/aclImdb_v1.tar.gz`, options);
  assert.deepEqual({ ...fromTar, source: "" }, { ...fromDir, source: "" });
  assert.equal(fromDir.train.length, 4);
  assert.equal(fromDir.test.length, 4);
  assert.equal(fromDir.unlabeled!.length, 3);
  const full = await readImdb(`${dir.path}/aclImdb_v1.tar.gz`, { unlabeled: false });
  assert.equal(full.train.length, 12);
  assert.equal(full.unlabeled, undefined);
  const other = await readImdb(dir.path, { ...options, seed: 6 });
  assert.notDeepEqual(other.train, fromDir.train);
});

Deno.test("readImdb: a missing class or an unknown path fails with the fix", async () => {
  const files = sample();
  for (const k of Object.keys(files)) if (k.includes("test/neg")) delete files[k];
  await using dir = await tempFiles(files);
  await assert.rejects(
    readImdb(dir.path),
    /Cannot read IMDb data .*: no test\/neg\/\*\.txt reviews found/,
  );
  await assert.rejects(readImdb(`${dir.path}/aclImdb/imdb.vocab`), /not a folder or \.tar\.gz/);
  await assert.rejects(
    readImdb(`${dir.path}/aclImdb/train`),
    /no train\/ or aclImdb\/train\/ inside/,
  );
});

Deno.test("cleanReview: HTML breaks become newlines", () => {
  assert.equal(cleanReview(" A<br/>B<BR />C "), "A\nB\nC");
});
