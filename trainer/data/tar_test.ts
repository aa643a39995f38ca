import assert from "node:assert/strict";
import { readTar } from "./tar.ts";
import { gzip, writeTar } from "./test_util.ts";

const LONG = `aclImdb/train/unsup/${"x".repeat(120)}_0.txt`;

async function entries(bytes: Uint8Array, readEvery = true) {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  const out: { name: string; type: string; text?: string }[] = [];
  for await (const e of readTar(stream, "t.tar.gz")) {
    const text = readEvery && e.type === "file"
      ? new TextDecoder().decode(await e.bytes())
      : undefined;
    out.push({ name: e.name, type: e.type, ...(text === undefined ? {} : { text }) });
  }
  return out;
}

Deno.test("readTar: files, folders, GNU long names, ustar prefixes over gzip", async () => {
  const big = "y".repeat(1500); // spans blocks and is not a multiple of 512
  const tgz = await gzip(writeTar([
    { name: "aclImdb/" },
    { name: "aclImdb/train/pos/0_9.txt", data: "Great!" },
    { name: LONG, data: big },
    { name: "aclImdb/test/neg/1_2.txt", data: "Bad.", usePrefix: true },
    { name: "aclImdb/empty.txt", data: "" },
  ]));
  assert.deepEqual(await entries(tgz), [
    { name: "aclImdb/", type: "directory" },
    { name: "aclImdb/train/pos/0_9.txt", type: "file", text: "Great!" },
    { name: LONG, type: "file", text: big },
    { name: "aclImdb/test/neg/1_2.txt", type: "file", text: "Bad." },
    { name: "aclImdb/empty.txt", type: "file", text: "" },
  ]);
  // Members whose data is never read are skipped cleanly.
  assert.deepEqual((await entries(tgz, false)).map((e) => e.name).at(-1), "aclImdb/empty.txt");
});

Deno.test("readTar: a corrupt header or a truncated archive fails with the archive name", async () => {
  const tar = writeTar([{ name: "a.txt", data: "z".repeat(700) }]);
  const corrupt = tar.slice();
  corrupt[10] ^= 0xff;
  await assert.rejects(
    entries(await gzip(corrupt)),
    /Cannot read t\.tar\.gz: bad tar header checksum at byte 0/,
  );
  await assert.rejects(
    entries(await gzip(tar.slice(0, 800))),
    /Cannot read t\.tar\.gz: archive ends mid-member at byte 512/,
  );
});

Deno.test("readTar: an entry's data can be read only once", async () => {
  const stream = new Blob([writeTar([{ name: "a.txt", data: "hi" }]) as Uint8Array<ArrayBuffer>])
    .stream();
  for await (const e of readTar(stream, "t.tar")) {
    await e.bytes();
    await assert.rejects(e.bytes(), /Cannot read t\.tar member a\.txt: its data was already read/);
  }
});
