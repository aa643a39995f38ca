import assert from "node:assert/strict";
import { readClasses, readZhangCsv, unescapeNewlines } from "./zhang.ts";
import { tempFiles } from "./test_util.ts";
import { loadTask } from "./tasks.ts";

const AG = [
  '"3","Wall St. Bears Claw Back","Reuters - Short-sellers, Wall Street\'s dwindling\\nband."',
  '"4","Ky. ""Company"" Wins","AP - A company won a grant."',
  '"1","Quake","A quake hit,\nagain."',
].join("\n") + "\n";

Deno.test("readZhangCsv: title + text, classes.txt names, \\n escapes, quoted newlines", async () => {
  await using dir = await tempFiles({
    "ag/train.csv": AG,
    "ag/classes.txt": "World\nSports\nBusiness\nSci/Tech\n",
  });
  const { rows, labels } = await readZhangCsv(`${dir.path}/ag/train.csv`);
  assert.deepEqual(labels, ["World", "Sports", "Business", "Sci/Tech"]);
  assert.deepEqual(rows, [
    {
      text: "Wall St. Bears Claw Back\nReuters - Short-sellers, Wall Street's dwindling\nband.",
      label: "Business",
    },
    { text: 'Ky. "Company" Wins\nAP - A company won a grant.', label: "Sci/Tech" },
    { text: "Quake\nA quake hit,\nagain.", label: "World" },
  ]);
});

Deno.test("readZhangCsv: two-field files (Yelp) without classes keep the digits", async () => {
  await using dir = await tempFiles({
    "yelp.csv": '"2","Great tacos.\\nWill return."\n"1","Cold."\n',
  });
  const { rows, labels } = await readZhangCsv(`${dir.path}/yelp.csv`);
  assert.deepEqual(labels, ["1", "2"]);
  assert.deepEqual(rows[0], { text: "Great tacos.\nWill return.", label: "2" });
});

Deno.test("readZhangCsv and loadTask: four-field files (Yahoo Answers) join title, question and answer", async () => {
  await using dir = await tempFiles({
    "yahoo/train.csv": '"5","Why is the sky blue?","Seen at noon.","Rayleigh\\nscattering."\n' +
      '"2","Best pizza?","","Naples."\n'.repeat(3),
    "wide.csv": '"1","a","b","c","d"\n',
  });
  const { rows, labels } = await readZhangCsv(`${dir.path}/yahoo/train.csv`);
  assert.deepEqual(labels, ["2", "5"]);
  assert.deepEqual(rows[0], {
    text: "Why is the sky blue?\nSeen at noon.\nRayleigh\nscattering.",
    label: "5",
  });
  assert.equal(rows[1].text, "Best pizza?\nNaples."); // the empty question is left out
  // Detected as Zhang-style without --format.
  const task = await loadTask({ train: `${dir.path}/yahoo/train.csv`, seed: 1 });
  assert.equal(task.train.length + (task.valid?.length ?? 0) + task.test.length, 4);
  await assert.rejects(
    readZhangCsv(`${dir.path}/wide.csv`),
    /wide\.csv:1: expected 2 to 4 fields \("label","title","text"\), found 5/,
  );
});

Deno.test("readZhangCsv: malformed rows name the file and line", async () => {
  await using dir = await tempFiles({
    "data/x.csv": '"1","t","a"\n"2","t","b"\n"1","only two"\n',
    "data/y.csv": '"1","t","a"\n"9","t","b"\n',
    "data/z.csv": '"one","t","a"\n',
  });
  const p = dir.path;
  await assert.rejects(
    readZhangCsv(`${p}/data/x.csv`),
    (e: Error) => e.message === `Cannot read ${p}/data/x.csv:3: expected 3 fields, found 2`,
  );
  await assert.rejects(
    readZhangCsv(`${p}/data/y.csv`, { classes: ["a", "b"] }),
    /y\.csv:2: label 9 is beyond the 2 classes listed; fix the row or classes\.txt/,
  );
  await assert.rejects(
    readZhangCsv(`${p}/data/z.csv`),
    /z\.csv:1: label "one" is not a 1-based class number/,
  );
});

Deno.test("readClasses and unescapeNewlines", async () => {
  await using dir = await tempFiles({ "c.txt": "a\n\nb\n", "d.txt": "a\na\n" });
  assert.deepEqual(await readClasses(`${dir.path}/c.txt`), ["a", "b"]);
  await assert.rejects(
    readClasses(`${dir.path}/d.txt`),
    /Cannot read .*d\.txt: a class name is listed twice/,
  );
  assert.equal(unescapeNewlines("x\\ny\\nz"), "x\ny\nz");
});
