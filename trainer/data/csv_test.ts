import assert from "node:assert/strict";
import { CsvParser, parseCsv, readCsv } from "./csv.ts";
import { tempFiles } from "./test_util.ts";

async function* chunked(text: string, size: number) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

Deno.test("CsvParser: RFC 4180 quoting at every chunk size", async () => {
  const text = '"1","a ""quoted"" word","x, y"\r\n2,plain,"multi\r\nline"\n\n"3","",last\n"4",,';
  const expected = [
    { fields: ["1", 'a "quoted" word', "x, y"], line: 1 },
    { fields: ["2", "plain", "multi\nline"], line: 2 },
    { fields: ["3", "", "last"], line: 5 },
    { fields: ["4", "", ""], line: 6 },
  ];
  for (const size of [1, 2, 3, 7, 1000]) {
    assert.deepEqual(await Array.fromAsync(parseCsv(chunked(text, size), "m.csv")), expected);
  }
});

Deno.test("CsvParser: a lone quoted empty field is a record, a blank line is not", () => {
  const p = new CsvParser("m.csv");
  assert.deepEqual([...p.push('""\n\n'), ...p.end()], [{ fields: [""], line: 1 }]);
});

Deno.test("CsvParser: other delimiters; stray quotes inside unquoted fields are text", () => {
  const p = new CsvParser("m.tsv", "\t");
  assert.deepEqual([...p.push('a "b"\tc,d\n'), ...p.end()], [{
    fields: ['a "b"', "c,d"],
    line: 1,
  }]);
  assert.throws(() => new CsvParser("m.csv", '"'), /Cannot parse m\.csv: delimiter/);
});

Deno.test("CsvParser: malformed quoting fails with file and line", async () => {
  const p = new CsvParser("data/x.csv");
  p.push('"1","ok"\n');
  assert.throws(
    () => p.push('"2","bad"x\n'),
    /^Error: Cannot read data\/x\.csv:2: unexpected "x" after a closing quote/,
  );
  await using dir = await tempFiles({ "x.csv": '"1","fine"\n"2","never closed\nmore\n' });
  await assert.rejects(
    Array.fromAsync(readCsv(`${dir.path}/x.csv`)),
    (e: Error) =>
      e.message ===
        `Cannot read ${dir.path}/x.csv:2: quoted field is never closed; add the closing quote`,
  );
});
