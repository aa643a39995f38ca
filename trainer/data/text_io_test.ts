import assert from "node:assert/strict";
import { decodeBytes, readLines, readText, readTextChunks, splitLines } from "./text_io.ts";
import { gzip, tempFiles } from "./test_util.ts";

Deno.test("decodeBytes: UTF-8, Latin-1 fallback under auto, error under utf-8", () => {
  assert.equal(decodeBytes(new TextEncoder().encode("naïve")), "naïve");
  const latin1 = new Uint8Array([0x6e, 0x61, 0xef, 0x76, 0x65]); // "naïve" in Latin-1
  assert.equal(decodeBytes(latin1), "naïve");
  assert.equal(decodeBytes(latin1, "latin1"), "naïve");
  assert.throws(() => decodeBytes(latin1, "utf-8", "x.txt"), /Cannot decode x\.txt: .*latin1/);
});

Deno.test("splitLines: CRLF, lines across chunks, final line without newline", async () => {
  async function* chunks() {
    yield* ["one\r", "\ntw", "o\n\nthr", "ee"];
  }
  assert.deepEqual(await Array.fromAsync(splitLines(chunks())), ["one", "two", "", "three"]);
});

Deno.test("readLines and readText: plain and gzipped files agree", async () => {
  const text = "α line\nsecond\r\nthird";
  await using dir = await tempFiles({ "a.txt": text, "a.txt.gz": await gzip(text) });
  for (const name of ["a.txt", "a.txt.gz"]) {
    const lines = await Array.fromAsync(readLines(`${dir.path}/${name}`));
    assert.deepEqual(lines, ["α line", "second", "third"]);
    assert.equal(await readText(`${dir.path}/${name}`), text);
  }
});

Deno.test("readTextChunks: strict UTF-8 streaming of a gz fails with a fix", async () => {
  await using dir = await tempFiles({ "bad.gz": await gzip(new Uint8Array([0x61, 0xff, 0x62])) });
  await assert.rejects(
    Array.fromAsync(readTextChunks(`${dir.path}/bad.gz`)),
    /Cannot decode .*bad\.gz: bytes are not valid UTF-8; pass encoding "latin1"/,
  );
  const text = (await Array.fromAsync(readTextChunks(`${dir.path}/bad.gz`, "latin1"))).join("");
  assert.equal(text, "aÿb");
});

Deno.test("readText: a missing file names the path", async () => {
  await assert.rejects(
    readText("/nonexistent/x.txt"),
    /Cannot open \/nonexistent\/x\.txt: no such file/,
  );
});
