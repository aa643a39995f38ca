import assert from "node:assert/strict";
import { readCsv } from "../trainer/data/csv.ts";
import { agNewsSplit } from "./run.ts";

/** A stand-in for AG News test.csv: 1,900 rows a class, fields with quotes and commas. */
async function writeAgNews(dir: string, rows = 1900): Promise<string> {
  const lines: string[] = [];
  for (let i = 0; i < rows * 4; i++) {
    lines.push(`"${1 + (i % 4)}","title ${i}","text ${i}, with ""quotes"""`);
  }
  await Deno.writeTextFile(`${dir}/test.csv`, lines.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/classes.txt`, "World\nSports\nBusiness\nSci/Tech\n");
  return `${dir}/test.csv`;
}

async function fieldsOf(path: string): Promise<string[][]> {
  const out: string[][] = [];
  for await (const r of readCsv(path)) out.push(r.fields);
  return out;
}

Deno.test("agNewsSplit: 1,500 / 400 a class, disjoint, covering, seeded, fields intact", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-ag-" });
  const source = await writeAgNews(dir);
  await agNewsSplit(source, `${dir}/s42`, 42);
  const train = await fieldsOf(`${dir}/s42/train.csv`);
  const test = await fieldsOf(`${dir}/s42/test.csv`);
  for (const c of ["1", "2", "3", "4"]) {
    assert.equal(train.filter((f) => f[0] === c).length, 1500);
    assert.equal(test.filter((f) => f[0] === c).length, 400);
  }
  const titles = [...train, ...test].map((f) => f[1]);
  assert.equal(new Set(titles).size, 7600);
  assert.equal(train[0][2], `text ${train[0][1].slice(6)}, with "quotes"`);
  assert.equal(
    await Deno.readTextFile(`${dir}/s42/classes.txt`),
    await Deno.readTextFile(`${dir}/classes.txt`),
  );
  // Same seed, same split; another seed, another split.
  await agNewsSplit(source, `${dir}/again`, 42);
  assert.deepEqual(await fieldsOf(`${dir}/again/test.csv`), test);
  await agNewsSplit(source, `${dir}/s43`, 43);
  assert.notDeepEqual(await fieldsOf(`${dir}/s43/test.csv`), test);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("agNewsSplit: a file that is not AG News' test.csv is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fitlam-ag-" });
  const source = await writeAgNews(dir, 10);
  await assert.rejects(
    () => agNewsSplit(source, `${dir}/s`, 42),
    /Cannot split .*test\.csv: expected AG News test\.csv \(7,600 rows, 1,900 a class\), got 40/,
  );
  await Deno.remove(dir, { recursive: true });
});
