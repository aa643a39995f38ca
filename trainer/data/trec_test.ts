import assert from "node:assert/strict";
import { readTrec } from "./trec.ts";
import { tempFiles } from "./test_util.ts";

Deno.test("readTrec: coarse labels, Latin-1 bytes, fine labels on request", async () => {
  // "café" in Latin-1, as in the real train_5500.label.
  const latin1 = new Uint8Array([
    ...new TextEncoder().encode("ENTY:food What is a "),
    0x63,
    0x61,
    0x66,
    0xe9,
    ...new TextEncoder().encode(" ?\nHUM:ind Who wrote Hamlet ?\n\nNUM:date When did WWII end ?\n"),
  ]);
  await using dir = await tempFiles({ "train_5500.label": latin1 });
  const rows = await readTrec(`${dir.path}/train_5500.label`);
  assert.deepEqual(rows, [
    { text: "What is a café ?", label: "ENTY" },
    { text: "Who wrote Hamlet ?", label: "HUM" },
    { text: "When did WWII end ?", label: "NUM" },
  ]);
  const fine = await readTrec(`${dir.path}/train_5500.label`, { fine: true });
  assert.equal(fine[1].label, "HUM:ind");
});

Deno.test("readTrec: a line without COARSE:fine fails with file and line", async () => {
  await using dir = await tempFiles({ "t.label": "HUM:ind Who ?\nno label here\n" });
  await assert.rejects(
    readTrec(`${dir.path}/t.label`),
    (e: Error) =>
      e.message === `Cannot read ${dir.path}/t.label:2: expected "COARSE:fine question text"`,
  );
});
