import assert from "node:assert/strict";
import { readTsv, tsvHeader } from "./tsv.ts";
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
  assert.equal(tsvHeader("Text\tLabel"), "text-label");
  assert.equal(tsvHeader("label\tsentence"), "label-text");
});

Deno.test("readTsv: label<TAB>text files, by their header or by the look of their columns", async () => {
  const texts = [
    "a fine film",
    "dull",
    "great\tcast",
    "weak plot",
    "loved it",
    "slow",
    "fun",
    "meh",
  ];
  const rows = texts.map((text, i) => ({ text, label: i % 3 ? "pos" : "neg" }));
  const lines = rows.map((r) => `${r.label}\t${r.text}`).join("\n");
  await using dir = await tempFiles({
    "headed.tsv": `label\ttext\n${lines}\n`,
    "bare.tsv": `${lines}\n`,
    "short.tsv": "pos\tfine\n",
  });
  const said: string[] = [];
  const error = console.error;
  console.error = (m: string) => said.push(m);
  try {
    assert.deepEqual(await readTsv(`${dir.path}/headed.tsv`), rows);
    assert.equal(said.length, 0, "a header needs no guess");
    assert.deepEqual(await readTsv(`${dir.path}/bare.tsv`), rows);
    assert.match(said[0], /bare\.tsv: read as label<TAB>text/);
    // Too few rows to tell: text<TAB>label, the documented order.
    assert.deepEqual(await readTsv(`${dir.path}/short.tsv`), [{ text: "pos", label: "fine" }]);
  } finally {
    console.error = error;
  }
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

Deno.test("readTsv: a labelled row without a text is read, for the task to leave out", async () => {
  await using dir = await tempFiles({ "c.tsv": "good\tpos\n \tneg\n" });
  assert.deepEqual(await readTsv(`${dir.path}/c.tsv`), [
    { text: "good", label: "pos" },
    { text: "", label: "neg" },
  ]);
});
