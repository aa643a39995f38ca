import assert from "node:assert/strict";
import { Rng } from "../shared/rng.ts";
import { batchAt, drawSeqLen, toRows } from "./lm_batches.ts";

Deno.test("toRows + batchAt: contiguous rows, targets shifted by one, tail batch shorter", () => {
  const r = toRows(Int32Array.from({ length: 23 }, (_, i) => i), 3); // rows of 7
  assert.equal(r.rowLen, 7);
  const a = batchAt(r, 0, 4)!;
  assert.deepEqual(Array.from(a.x), [0, 1, 2, 3, 7, 8, 9, 10, 14, 15, 16, 17]);
  assert.deepEqual(Array.from(a.y), [1, 2, 3, 4, 8, 9, 10, 11, 15, 16, 17, 18]);
  const b = batchAt(r, a.next, 4)!;
  assert.equal(b.len, 2); // positions 4, 5 → targets 5, 6
  assert.deepEqual(Array.from(b.y), [5, 6, 12, 13, 19, 20]);
  assert.equal(batchAt(r, b.next, 4), undefined);
});

Deno.test("toRows: too little text is a clear error", () => {
  assert.throws(() => toRows(new Int32Array(3), 4), /Cannot batch the corpus: 3 tokens/);
});

Deno.test("drawSeqLen: mostly around bptt, sometimes around bptt/2, never below 5", () => {
  const rng = new Rng(0);
  const lens = Array.from({ length: 20000 }, () => drawSeqLen(rng, 70, true));
  const short = lens.filter((l) => l < 52).length / lens.length;
  assert.ok(Math.abs(short - 0.05) < 0.01, `short fraction ${short}`);
  const long = lens.filter((l) => l >= 52);
  const mean = long.reduce((a, b) => a + b, 0) / long.length;
  assert.ok(Math.abs(mean - 70) < 0.3, `mean ${mean}`);
  assert.ok(Math.min(...Array.from({ length: 5000 }, () => drawSeqLen(rng, 6, true))) >= 5);
  assert.equal(drawSeqLen(rng, 70, false), 70);
});
