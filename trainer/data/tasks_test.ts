import assert from "node:assert/strict";
import { detectTaskFormat, loadTask } from "./tasks.ts";
import { gzip, tempFiles, writeTar } from "./test_util.ts";

const tsvRows = (n: number) =>
  Array.from({ length: n }, (_, i) => `text ${i}\t${i % 2}`).join("\n");

Deno.test("detectTaskFormat: by folder, extension, then first line", async () => {
  await using dir = await tempFiles({
    "imdb/aclImdb/train/pos/0_9.txt": "x",
    "a.csv": "x",
    "a.tsv.gz": await gzip("x"),
    "a.jsonl": "x",
    "TREC_10.label": "x",
    "sentiment-dev": "\na film \t1\n",
    "trec_raw": "NUM:date When ?\n",
    "json_raw": '{"text":"a","label":1}\n',
    "csv_raw": '"1","a"\n',
    "odd": "just words\n",
  });
  const p = dir.path;
  const expected: Record<string, string> = {
    "imdb": "imdb",
    "a.csv": "csv",
    "a.tsv.gz": "tsv",
    "a.jsonl": "jsonl",
    "TREC_10.label": "trec",
    "sentiment-dev": "tsv",
    "trec_raw": "trec",
    "json_raw": "jsonl",
    "csv_raw": "csv",
  };
  for (const [name, format] of Object.entries(expected)) {
    assert.equal(await detectTaskFormat(`${p}/${name}`), format, name);
  }
  assert.equal(await detectTaskFormat(`${p}/x.tar.gz`).catch(() => "imdb"), "imdb");
  await assert.rejects(
    detectTaskFormat(`${p}/odd`),
    /Cannot detect the format of .*odd: .*pass format/,
  );
});

Deno.test("detectTaskFormat: Parquet and spreadsheet files are refused with the fix", async () => {
  await using dir = await tempFiles({
    "train.parquet": new Uint8Array([0x50, 0x41, 0x52, 0x31, 0x15, 0x04]),
    "data.csv": new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), // an .xlsx renamed
  });
  await assert.rejects(
    detectTaskFormat(`${dir.path}/train.parquet`),
    /Cannot read .*train\.parquet: it is a Parquet file, not text; export it as CSV \(UTF-8\) or JSON Lines/,
  );
  await assert.rejects(
    detectTaskFormat(`${dir.path}/data.csv`),
    /data\.csv: it is a zip archive \(an Excel \.xlsx workbook is one\), not text/,
  );
});

Deno.test("loadTask: TSV with its own test file, seeded valid, name from folder", async () => {
  await using dir = await tempFiles({
    "sst2/sentiment-train": tsvRows(40),
    "sst2/sentiment-test": tsvRows(6),
  });
  const spec = {
    train: `${dir.path}/sst2/sentiment-train`,
    test: `${dir.path}/sst2/sentiment-test`,
  };
  const task = await loadTask(spec);
  assert.equal(task.name, "sst2");
  assert.deepEqual(task.labels, ["0", "1"]);
  assert.deepEqual([task.train.length, task.valid!.length, task.test.length], [36, 4, 6]);
  assert.deepEqual(await loadTask(spec), task);
  assert.notDeepEqual((await loadTask({ ...spec, seed: 1 })).valid, task.valid);
});

Deno.test("loadTask: Zhang CSV uses classes.txt and reports an empty class", async () => {
  const train = Array.from({ length: 10 }, (_, i) => `"${1 + (i % 3)}","t${i}","b${i}"`).join("\n");
  await using dir = await tempFiles({
    "ag/train.csv": train,
    "ag/test.csv": '"1","t","b"\n"3","t","b"\n',
    "ag/classes.txt": "World\nSports\nBusiness\n",
    "ag4/train.csv": train,
    "ag4/classes.txt": "World\nSports\nBusiness\nSci/Tech\n",
  });
  const task = await loadTask({
    train: `${dir.path}/ag/train.csv`,
    test: `${dir.path}/ag/test.csv`,
  });
  assert.deepEqual(task.labels, ["World", "Sports", "Business"]);
  assert.deepEqual(task.test.map((r) => r.label), ["World", "Business"]);
  assert.ok([...task.train, ...task.valid!].some((r) => r.text === "t0\nb0"));
  await assert.rejects(
    loadTask({ train: `${dir.path}/ag4/train.csv` }),
    /Cannot load task ag4 .*: class "Sci\/Tech" has no train rows/,
  );
});

Deno.test("loadTask: named-field CSV, JSONL and TREC; unseen test labels fail", async () => {
  await using dir = await tempFiles({
    "r/train.csv": "review,stars\n" +
      Array.from({ length: 10 }, (_, i) => `r${i},${i % 2 ? 5 : 1}`).join("\n"),
    "j/train.jsonl": Array.from({ length: 10 }, (_, i) => JSON.stringify({ t: `j${i}`, y: i % 2 }))
      .join("\n"),
    "j/test.jsonl": JSON.stringify({ t: "new", y: 7 }),
    "trec/train_5500.label": Array.from(
      { length: 10 },
      (_, i) => `${i % 2 ? "HUM:ind" : "LOC:city"} Q${i} ?`,
    )
      .join("\n"),
  });
  const p = dir.path;
  const csv = await loadTask({
    train: `${p}/r/train.csv`,
    textField: "review",
    labelField: "stars",
  });
  assert.deepEqual(csv.labels, ["1", "5"]);
  assert.equal(csv.train.length + csv.valid!.length + csv.test.length, 10);
  const trec = await loadTask({ train: `${p}/trec/train_5500.label`, testFraction: 0.4 });
  assert.deepEqual(trec.labels, ["HUM", "LOC"]);
  assert.equal(trec.test.length, 4);
  await assert.rejects(
    loadTask({
      train: `${p}/j/train.jsonl`,
      test: `${p}/j/test.jsonl`,
      textField: "t",
      labelField: "y",
    }),
    /Cannot load task j .*: test label "7" is not among the train labels \[0, 1\]/,
  );
});

Deno.test("loadTask: IMDb tarball through the one entry point", async () => {
  const files = [];
  for (const split of ["train", "test"]) {
    for (const cls of ["pos", "neg"]) {
      for (let i = 0; i < 10; i++) {
        files.push({ name: `aclImdb/${split}/${cls}/${i}_5.txt`, data: `${cls} ${i}` });
      }
    }
  }
  await using dir = await tempFiles({ "aclImdb_v1.tar.gz": await gzip(writeTar(files)) });
  const task = await loadTask({ train: `${dir.path}/aclImdb_v1.tar.gz`, maxPerClass: 5 });
  assert.equal(task.name, "imdb");
  assert.deepEqual([task.train.length, task.valid!.length, task.test.length], [8, 2, 10]);
  assert.deepEqual(task.unlabeled, []);
  await assert.rejects(
    loadTask({ train: `${dir.path}/aclImdb_v1.tar.gz`, test: "x" }),
    /Cannot load IMDb: it brings its own test split/,
  );
});

Deno.test("loadTask: an unknown format names the valid ones", async () => {
  await assert.rejects(
    loadTask({ train: "x.csv", format: "xml" as "csv" }),
    /Cannot load task: unknown format "xml"; use "auto", "imdb"/,
  );
});

Deno.test("loadTask: train rows with an empty label are unlabelled text; test rows must have one", async () => {
  const labelled = Array.from({ length: 10 }, (_, i) => ({ text: `doc ${i}`, label: i % 2 }));
  await using dir = await tempFiles({
    "c/train.csv": "text,label\n" + labelled.map((d) => `${d.text},${d.label}`).join("\n") +
      '\nspare one,\n"spare two",  \n',
    "c/test.csv": "text,label\nfine,1\nmissing,\n",
    "j/train.jsonl": [...labelled, { text: "spare", label: null }, { text: "also", label: "" }]
      .map((d) => JSON.stringify(d)).join("\n"),
    "t/train.tsv": labelled.map((d) => `${d.text}\t${d.label}`).join("\n") + "\nspare\t\n",
    "t/test.tsv": "fine\t1\nmissing\t\n",
  });
  const p = dir.path;
  const csv = await loadTask({ train: `${p}/c/train.csv`, testFraction: 0.2 });
  assert.deepEqual(csv.unlabeled, ["spare one", "spare two"]);
  assert.deepEqual(csv.labels, ["0", "1"]);
  assert.equal(csv.train.length + csv.valid!.length + csv.test.length, 10);
  const jsonl = await loadTask({ train: `${p}/j/train.jsonl` });
  assert.deepEqual(jsonl.unlabeled, ["spare", "also"]);
  const tsv = await loadTask({ train: `${p}/t/train.tsv` });
  assert.deepEqual(tsv.unlabeled, ["spare"]);
  // A test row without a label cannot be scored.
  await assert.rejects(
    loadTask({ train: `${p}/c/train.csv`, test: `${p}/c/test.csv` }),
    /test\.csv:3: expected the label to be a non-empty string/,
  );
  await assert.rejects(
    loadTask({ train: `${p}/t/train.tsv`, test: `${p}/t/test.tsv` }),
    /test\.tsv:2: expected text<TAB>label, found an empty label/,
  );
});

Deno.test("loadTask: a train file with no labelled row says so", async () => {
  await using dir = await tempFiles({ "u/train.csv": "text,label\na,\nb,\n" });
  await assert.rejects(
    loadTask({ train: `${dir.path}/u/train.csv` }),
    /no train rows with a label \(2 without one\); label some/,
  );
});
