import assert from "node:assert/strict";
import { isTsvHeader, readTsv } from "./tsv.ts";
import { tempFiles } from "./test_util.ts";

Deno.test("readTsv: SST-2 rows, header skipped, tabs in text, blank lines", async () => {
  await using dir = await tempFiles({
    "dev.tsv": "sentence\tlabel\nit 's a charming journey . \t1\n\nbleak\tand desperate\t0\n",
    "sentiment-train": "hide new secretions \t0\n",
  });
  assert.deepEqual(await readTsv(`${dir.path}/dev.tsv`), [
    { text: "it 's a charming journey .", label: "1" },
    { text: "bleak\tand desperate", label: "0" },
  ]);
  assert.deepEqual(await readTsv(`${dir.path}/sentiment-train`), [
    { text: "hide new secretions", label: "0" },
  ]);
  assert.equal((await readTsv(`${dir.path}/sentiment-train`, { header: true })).length, 0);
  assert.ok(isTsvHeader("Text\tLabel") && !isTsvHeader("label\tsentence"));
});

Deno.test("readTsv: a row without a tab or label fails with file and line", async () => {
  await using dir = await tempFiles({
    "a.tsv": "good\t1\nno tab here\n",
    "b.tsv": "good\t1\n\nbad\t \n",
  });
  await assert.rejects(
    readTsv(`${dir.path}/a.tsv`),
    (e: Error) =>
      e.message === `Cannot read ${dir.path}/a.tsv:2: expected text<TAB>label, found no tab`,
  );
  await assert.rejects(
    readTsv(`${dir.path}/b.tsv`),
    /b\.tsv:3: expected text<TAB>label, found an empty label/,
  );
});
