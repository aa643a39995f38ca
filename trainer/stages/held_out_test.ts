import assert from "node:assert/strict";
import {
  crossFit,
  heldOutFingerprint,
  heldOutPath,
  type HeldOutProbs,
  readHeldOut,
  removeHeldOut,
  saveHeldOut,
} from "./held_out.ts";

const docs = [..."abcdef"].map((t, i) => ({ text: t, label: i % 2 ? "x" : "y" }));

Deno.test("held-out answers: saved fold by fold, read back only for the same documents", async () => {
  const dir = await Deno.makeTempDir();
  const path = heldOutPath(dir, "fwd");
  const print = await heldOutFingerprint(docs, 3, "fwd", 42);
  assert.equal(await readHeldOut(path, print), undefined); // nothing yet
  const probs: HeldOutProbs = [Float32Array.of(0.25, 0.75), null];
  await saveHeldOut(path, print, 3, probs); // makes OUT/checkpoints
  assert.deepEqual(await readHeldOut(path, print), probs);
  for (
    const other of [
      await heldOutFingerprint(docs.slice(1), 3, "fwd", 42),
      await heldOutFingerprint(docs, 2, "fwd", 42),
      await heldOutFingerprint(docs, 3, "bwd", 42),
      await heldOutFingerprint(docs, 3, "fwd", 43),
    ]
  ) {
    assert.equal(await readHeldOut(path, other), undefined);
  }
  await Deno.writeTextFile(path, "{ torn");
  assert.equal(await readHeldOut(path, print), undefined);
  await removeHeldOut(path);
  await removeHeldOut(path); // gone already: no error
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("crossFit: resumes after the folds already answered and stops when asked", async () => {
  const labels = [0, 1, 0, 1, 0, 1, 0, 1];
  const answer = (i: number) => Float32Array.of(i / 10, 1 - i / 10);
  const ran: number[] = [];
  const saved: HeldOutProbs[] = [];
  const run = (f: number, _train: number[], held: number[]) => {
    ran.push(f);
    return Promise.resolve(held.map(answer));
  };
  const save = (p: HeldOutProbs) => Promise.resolve(void saved.push([...p]));
  // Stopped during the second fold: its answers are not kept, the first fold's are saved.
  let calls = 0;
  const stopped = await crossFit(labels, 2, [], run, save, () => ++calls > 1);
  assert.equal(stopped, undefined);
  assert.deepEqual(ran, [0, 1]);
  assert.equal(saved.length, 1);
  const afterStop = saved[0];
  assert.deepEqual(afterStop.map((p) => p !== null), labels.map((_, i) => i % 4 < 2));
  // Resumed: only fold 1 runs; every document ends with its own answer.
  ran.length = 0;
  const all = await crossFit(labels, 2, afterStop, run, save, () => false);
  assert.deepEqual(ran, [1]);
  assert.deepEqual(all, labels.map((_, i) => answer(i)));
});
