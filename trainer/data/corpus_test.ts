import assert from "node:assert/strict";
import { readCorpus } from "./corpus.ts";
import { gzip, tempFiles } from "./test_util.ts";

const WIKITEXT = [
  "",
  " = Homarus gammarus = ",
  "",
  " Homarus gammarus is a large crustacean . ",
  "",
  " = = Description = = ",
  "",
  " It is blue . ",
  "",
  " = Ironclad warship = ",
  "",
  " An ironclad is a steam @-@ propelled warship . ",
  "",
].join("\n");

const WIKITEXT_DOCS = [
  "= Homarus gammarus =\nHomarus gammarus is a large crustacean .\n= = Description = =\nIt is blue .",
  "= Ironclad warship =\nAn ironclad is a steam @-@ propelled warship .",
];

Deno.test("readCorpus: .tokens WikiText, and a .gz with title headers is detected", async () => {
  // WikiExtractor style: one paragraph per line, plain section titles.
  const enwiki =
    " = Jarred Shaw = \nJarred Shaw is a player.\nCareer.\nHe signed.\n\n = Harrow = \nA school.\n";
  await using dir = await tempFiles({
    "wiki.valid.tokens": WIKITEXT,
    "enwiki.txt.gz": await gzip(enwiki),
  });
  assert.deepEqual(
    await Array.fromAsync(readCorpus(`${dir.path}/wiki.valid.tokens`)),
    WIKITEXT_DOCS,
  );
  assert.deepEqual(await Array.fromAsync(readCorpus(`${dir.path}/enwiki.txt.gz`)), [
    "= Jarred Shaw =\nJarred Shaw is a player.\nCareer.\nHe signed.",
    "= Harrow =\nA school.",
  ]);
});

Deno.test("readCorpus: plain text is one document per line, or per paragraph on request", async () => {
  await using dir = await tempFiles({ "c.txt": "first line\nsecond\n\n  third  \nfourth\n" });
  const path = `${dir.path}/c.txt`;
  assert.deepEqual(await Array.fromAsync(readCorpus(path)), [
    "first line",
    "second",
    "third",
    "fourth",
  ]);
  assert.deepEqual(await Array.fromAsync(readCorpus(path, { blankLineSeparated: true })), [
    "first line\nsecond",
    "third\nfourth",
  ]);
});

Deno.test("readCorpus: a folder yields each .txt file in name order", async () => {
  await using dir = await tempFiles({
    "corpus/b.txt": "second doc\n",
    "corpus/a.txt": "first doc\nline two\n",
    "corpus/notes.md": "ignored",
    "corpus/empty.txt": "  \n",
  });
  assert.deepEqual(await Array.fromAsync(readCorpus(`${dir.path}/corpus`)), [
    "first doc\nline two",
    "second doc",
  ]);
  await Deno.mkdir(`${dir.path}/none`);
  await assert.rejects(
    Array.fromAsync(readCorpus(`${dir.path}/none`)),
    /Cannot read corpus .*none: the folder has no \.txt files/,
  );
});

Deno.test("readCorpus: a forced format overrides detection; a missing path is named", async () => {
  await using dir = await tempFiles({ "w.txt": WIKITEXT });
  const lines = await Array.fromAsync(readCorpus(`${dir.path}/w.txt`, { format: "lines" }));
  assert.equal(lines.length, 6);
  await assert.rejects(
    Array.fromAsync(readCorpus(`${dir.path}/nope.txt`)),
    /Cannot open .*nope\.txt/,
  );
});
