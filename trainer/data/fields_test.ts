import assert from "node:assert/strict";
import { readFieldCsv, readJsonl } from "./fields.ts";
import { tempFiles } from "./test_util.ts";

Deno.test("readFieldCsv: named columns, several text fields, quoted commas", async () => {
  await using dir = await tempFiles({
    "r.csv": 'id,title,body,stars\n1,Nice,"Good, really.",5\n2,"Meh","So ""so""",3\n',
  });
  assert.deepEqual(
    await readFieldCsv(`${dir.path}/r.csv`, { textField: "body", labelField: "stars" }),
    [
      { text: "Good, really.", label: "5" },
      { text: 'So "so"', label: "3" },
    ],
  );
  const both = await readFieldCsv(`${dir.path}/r.csv`, {
    textField: ["title", "body"],
    labelField: "stars",
  });
  assert.equal(both[0].text, "Nice\nGood, really.");
});

Deno.test("readFieldCsv: a missing column or short row fails with file and line", async () => {
  await using dir = await tempFiles({ "r.csv": "text,label\nok,1\nshort\n" });
  await assert.rejects(
    readFieldCsv(`${dir.path}/r.csv`, { textField: "review" }),
    /r\.csv:1: no "review" among its fields \(text, label\); name them with --text-field NAME and --label-field NAME$/,
  );
  await assert.rejects(
    readFieldCsv(`${dir.path}/r.csv`),
    (e: Error) => e.message === `Cannot read ${dir.path}/r.csv:3: expected 2 fields, found 1`,
  );
});

Deno.test("readJsonl: defaults, custom fields, numeric labels", async () => {
  await using dir = await tempFiles({
    "a.jsonl": '{"text":"hi there","label":"pos"}\n\n{"text":"bye","label":0}\n',
    "b.jsonl": '{"review":"ok","y":true}\n',
  });
  assert.deepEqual(await readJsonl(`${dir.path}/a.jsonl`), [
    { text: "hi there", label: "pos" },
    { text: "bye", label: "0" },
  ]);
  assert.deepEqual(
    await readJsonl(`${dir.path}/b.jsonl`, { textField: "review", labelField: "y" }),
    [
      { text: "ok", label: "true" },
    ],
  );
});

Deno.test("readJsonl: bad JSON, missing fields and wrong types name file and line", async () => {
  await using dir = await tempFiles({
    "bad.jsonl": '{"text":"a","label":1}\n{"text":"b",\n',
    "nofield.jsonl": '{"text":"a"}\n',
    "type.jsonl": '{"text":"a","label":1}\n{"text":5,"label":1}\n',
    "array.jsonl": "[1,2]\n",
  });
  const p = dir.path;
  await assert.rejects(readJsonl(`${p}/bad.jsonl`), /Cannot read .*bad\.jsonl:2: not JSON/);
  await assert.rejects(
    readJsonl(`${p}/nofield.jsonl`),
    /nofield\.jsonl:1: no label field by a usual name among its fields \(text\); name them with --text-field NAME and --label-field NAME$/,
  );
  await assert.rejects(
    readJsonl(`${p}/type.jsonl`),
    /type\.jsonl:2: expected the text field to be a string/,
  );
  await assert.rejects(readJsonl(`${p}/array.jsonl`), /array\.jsonl:1: expected a JSON object/);
});

Deno.test("readFieldCsv, readJsonl: usual column names are found without flags, and said", async () => {
  await using dir = await tempFiles({
    "imdb.csv": 'review,sentiment\n"Loved it, truly",positive\nDull,negative\n',
    "news.jsonl": '{"id":1,"Content":"Stocks rose","Category":"business"}\n',
    "odd.csv": "a,b\nx,y\n",
  });
  const said: string[] = [];
  const error = console.error;
  console.error = (m: string) => said.push(m);
  try {
    assert.deepEqual(await readFieldCsv(`${dir.path}/imdb.csv`), [
      { text: "Loved it, truly", label: "positive" },
      { text: "Dull", label: "negative" },
    ]);
    assert.deepEqual(await readJsonl(`${dir.path}/news.jsonl`), [
      { text: "Stocks rose", label: "business" },
    ]);
  } finally {
    console.error = error;
  }
  assert.deepEqual(said, [
    `${dir.path}/imdb.csv: text from "review", label from "sentiment" (--text-field, --label-field choose others)`,
    `${dir.path}/news.jsonl: text from "Content", label from "Category" (--text-field, --label-field choose others)`,
  ]);
  await assert.rejects(
    readFieldCsv(`${dir.path}/odd.csv`),
    /odd\.csv:1: no text field by a usual name among its fields \(a, b\); name them with --text-field NAME and --label-field NAME/,
  );
});

Deno.test("readFieldCsv: semicolons between fields where the header has no comma", async () => {
  await using dir = await tempFiles({
    "semi.csv": 'text;label\n"good, really";pos\nbad film;neg\n',
    "comma.csv": "text,label\nfine; really,pos\n",
  });
  const semi = await readFieldCsv(`${dir.path}/semi.csv`);
  assert.deepEqual(semi.map((r) => [r.text, r.label]), [["good, really", "pos"], [
    "bad film",
    "neg",
  ]]);
  const comma = await readFieldCsv(`${dir.path}/comma.csv`);
  assert.deepEqual(comma.map((r) => [r.text, r.label]), [["fine; really", "pos"]]);
});
