import assert from "node:assert/strict";
import { assembleTask, sortLabels } from "./assemble.ts";
import type { LabeledDoc } from "./types.ts";

const rows = (n: number, label: string): LabeledDoc[] =>
  Array.from({ length: n }, (_, i) => ({ text: `${label}${i}`, label }));

Deno.test("assembleTask: carves seeded stratified test and valid splits when missing", () => {
  const train = [...rows(50, "a"), ...rows(50, "b")];
  const task = assembleTask({ train }, { name: "t", source: "mem", seed: 3 });
  assert.deepEqual([task.train.length, task.valid!.length, task.test.length], [72, 8, 20]);
  assert.equal(task.test.filter((r) => r.label === "a").length, 10);
  assert.deepEqual(task.labels, ["a", "b"]);
  assert.deepEqual(assembleTask({ train }, { name: "t", source: "mem", seed: 3 }), task);
  const noValid = assembleTask({ train, test: rows(2, "a") }, {
    name: "t",
    source: "mem",
    validFraction: 0,
  });
  assert.equal(noValid.valid, undefined);
  assert.equal(noValid.train.length, 100);
});

Deno.test("assembleTask: given parts and class lists are kept as they are", () => {
  const task = assembleTask(
    {
      train: [...rows(3, "x"), ...rows(2, "y")],
      valid: rows(1, "x"),
      test: rows(1, "x"),
      unlabeled: ["u"],
      labels: ["y", "x"],
    },
    { name: "t", source: "mem" },
  );
  assert.deepEqual(task.labels, ["y", "x"]);
  assert.deepEqual([task.train.length, task.valid!.length, task.test.length], [5, 1, 1]);
  assert.deepEqual(task.unlabeled, ["u"]);
});

Deno.test("assembleTask: empty classes, unseen labels and empty parts are clear errors", () => {
  const opts = { name: "ag", source: "train.csv" };
  assert.throws(
    () =>
      assembleTask(
        { train: rows(5, "World"), test: rows(1, "World"), labels: ["World", "Sports"] },
        opts,
      ),
    /Cannot load task ag \(train\.csv\): class "Sports" has no train rows; add rows for it or drop it/,
  );
  const ab = [...rows(5, "a"), ...rows(5, "b")];
  assert.throws(
    () => assembleTask({ train: ab, test: rows(1, "c") }, opts),
    /Cannot load task ag \(train\.csv\): test label "c" is not among the train labels \[a, b\]/,
  );
  assert.throws(
    () => assembleTask({ train: ab, valid: rows(1, "z"), test: rows(1, "a") }, opts),
    /valid label "z" is not among/,
  );
  assert.throws(() => assembleTask({ train: [] }, opts), /Cannot load task ag .*: no train rows/);
  assert.throws(() => assembleTask({ train: ab, test: [] }, opts), /no test rows/);
  assert.throws(
    () => assembleTask({ train: ab, test: rows(1, "a"), labels: ["b", "c"] }, opts),
    /train label "a" is not among/,
  );
  // One label: no classifier to train (tfjs failed deep in stage 3 with "depth must be >=2").
  assert.throws(
    () => assembleTask({ train: rows(5, "a"), test: rows(1, "a") }, opts),
    /Cannot load task ag \(train\.csv\): every train row has the label "a"; a classifier needs two labels or more: check the label column/,
  );
});

Deno.test("sortLabels: numeric when all integers, else code-unit order", () => {
  assert.deepEqual(sortLabels(["10", "9", "1"]), ["1", "9", "10"]);
  assert.deepEqual(sortLabels(["b", "B", "a"]), ["B", "a", "b"]);
});

Deno.test("assembleTask: nearly one label per row means the text was read as the label", () => {
  const train = Array.from({ length: 30 }, (_, i) => ({ text: "x", label: `review number ${i}` }));
  assert.throws(
    () => assembleTask({ train }, { name: "t", source: "t.tsv" }),
    /Cannot load task t \(t\.tsv\): 30 different labels in 30 train rows \(e\.g\. "review number 0"\); the label column is probably the text/,
  );
  // Many classes with a few rows each are fine.
  const many = Array.from({ length: 30 }, (_, i) => ({ text: "x", label: `c${i % 15}` }));
  assert.equal(assembleTask({ train: many }, { name: "t", source: "t.tsv" }).labels.length, 15);
});

Deno.test("assembleTask: rows with an empty text are left out and counted", () => {
  const said: string[] = [];
  const error = console.error;
  console.error = (m: string) => said.push(m);
  try {
    const task = assembleTask(
      {
        train: [...rows(4, "a"), ...rows(4, "b"), { text: "  ", label: "a" }, {
          text: "",
          label: "b",
        }],
        valid: [...rows(1, "a"), { text: "\n", label: "b" }],
        test: [...rows(2, "b"), { text: "", label: "a" }],
        unlabeled: ["u", " "],
      },
      { name: "t", source: "t.csv" },
    );
    assert.deepEqual(
      [task.train.length, task.valid!.length, task.test.length, task.unlabeled!.length],
      [8, 1, 2, 1],
    );
    assert.ok([...task.train, ...task.valid!, ...task.test].every((r) => r.text.trim() !== ""));
    assert.deepEqual(said, [
      "note: task t (t.csv): rows with an empty text left out: 2 train, 1 valid, 1 test, 1 unlabelled",
    ]);
  } finally {
    console.error = error;
  }
});
