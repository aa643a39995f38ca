import assert from "node:assert/strict";
import { readFastText } from "./fasttext.ts";
import { detectTaskFormat, loadTask } from "./tasks.ts";
import { gzip, tempFiles } from "./test_util.ts";

Deno.test("readFastText: bad lines are refused with the file, the line and the fix", async () => {
  await using dir = await tempFiles({
    "two.txt": "__label__a fine\n__label__a __label__b both\n",
    "none.txt": "__label__a fine\nno label\n",
    "empty.txt": "__label__ nothing named\n",
    "train.txt": "__label__a fine\nno label: unlabelled text\n__label__b\n",
  });
  await assert.rejects(
    readFastText(`${dir.path}/two.txt`),
    /Cannot read .*two\.txt:2: 2 labels \(__label__a, __label__b\); .*keep one label word/,
  );
  await assert.rejects(
    readFastText(`${dir.path}/none.txt`),
    /Cannot read .*none\.txt:2: expected a label word __label__NAME, found none/,
  );
  await assert.rejects(readFastText(`${dir.path}/empty.txt`), /empty\.txt:1: an empty label/);
  const rows = await readFastText(`${dir.path}/train.txt`, { unlabelled: true });
  assert.deepEqual(rows, [
    { text: "fine", label: "a" },
    { text: "no label: unlabelled text", label: "" },
    { text: "", label: "b" },
  ]);
});

Deno.test("loadTask: a fastText file (gzipped too) is detected and read with its splits", async () => {
  const lines = Array.from(
    { length: 40 },
    (_, i) => `__label__${i % 2 ? "pos" : "neg"} review number ${i}`,
  );
  await using dir = await tempFiles({
    "amazon.train": [...lines, "an unlabelled line"].join("\n") + "\n",
    "amazon.test.gz": await gzip("__label__pos good\n__label__neg bad\n"),
  });
  assert.equal(await detectTaskFormat(`${dir.path}/amazon.train`), "fasttext");
  assert.equal(await detectTaskFormat(`${dir.path}/amazon.test.gz`), "fasttext");
  const task = await loadTask({
    train: `${dir.path}/amazon.train`,
    test: `${dir.path}/amazon.test.gz`,
    validFraction: 0.1,
  });
  assert.deepEqual(task.labels, ["neg", "pos"]);
  assert.deepEqual(task.test.map((d) => [d.text, d.label]), [["good", "pos"], ["bad", "neg"]]);
  assert.equal(task.train.length + (task.valid?.length ?? 0), 40);
  assert.deepEqual(task.unlabeled, ["an unlabelled line"]);
});
