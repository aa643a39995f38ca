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

/** `text` in UTF-16 with its byte-order mark (Excel's "Unicode text" export is UTF-16LE). */
function utf16(text: string, bigEndian = false): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  out.set(bigEndian ? [0xfe, 0xff] : [0xff, 0xfe]);
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i), at = 2 + 2 * i;
    out[at + (bigEndian ? 1 : 0)] = u & 0xff;
    out[at + (bigEndian ? 0 : 1)] = u >> 8;
  }
  return out;
}

Deno.test("readLines: UTF-16 files with a byte-order mark, whole and streamed from gzip", async () => {
  const text = "text\tlabel\r\ncafé ☕\tpos\r\n";
  await using dir = await tempFiles({
    "le.tsv": utf16(text),
    "be.tsv": utf16(text, true),
    "le.tsv.gz": await gzip(utf16(text)),
  });
  for (const name of ["le.tsv", "be.tsv", "le.tsv.gz"]) {
    const lines = await Array.fromAsync(readLines(`${dir.path}/${name}`));
    assert.deepEqual(lines, ["text\tlabel", "café ☕\tpos"], name);
  }
  assert.equal(decodeBytes(utf16("a", true)), "a");
});
