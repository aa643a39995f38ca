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
    /r\.csv:1: no column "review" in header \(text, label\); pass textField/,
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
    /nofield\.jsonl:1: no field "label"; pass labelField/,
  );
  await assert.rejects(
    readJsonl(`${p}/type.jsonl`),
    /type\.jsonl:2: expected the text field to be a string/,
  );
  await assert.rejects(readJsonl(`${p}/array.jsonl`), /array\.jsonl:1: expected a JSON object/);
});
