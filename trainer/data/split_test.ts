import assert from "node:assert/strict";
import { seededHash, splitHeldOut, stratifiedSplit } from "./split.ts";

Deno.test("splitHeldOut: deterministic, disjoint, order-preserving, sized", () => {
  const docs = Array.from({ length: 100 }, (_, i) => `doc${i}`);
  const a = splitHeldOut(docs, 0.1, 7);
  const b = splitHeldOut(docs, 0.1, 7);
  assert.deepEqual(a, b);
  assert.equal(a.heldOut.length, 10);
  assert.equal(a.train.length, 90);
  assert.deepEqual([...a.train, ...a.heldOut].sort(), [...docs].sort());
  assert.deepEqual(a.train, docs.filter((d) => a.train.includes(d))); // input order kept
  assert.notDeepEqual(splitHeldOut(docs, 0.1, 8).heldOut, a.heldOut);
});

Deno.test("splitHeldOut: tiny corpora keep one document on each side; bad fractions fail", () => {
  const { train, heldOut } = splitHeldOut(["a", "b"], 0.01, 1);
  assert.equal(train.length, 1);
  assert.equal(heldOut.length, 1);
  assert.equal(splitHeldOut(["a", "b"], 0, 1).heldOut.length, 0);
  assert.throws(() => splitHeldOut(["a"], 1, 1), /Cannot split held-out documents: fraction 1/);
});

Deno.test("stratifiedSplit: per-label proportions, exact totals, deterministic", () => {
  const rows = [
    ...Array.from({ length: 70 }, (_, i) => ({ text: `h${i}`, label: "ham" })),
    ...Array.from({ length: 30 }, (_, i) => ({ text: `s${i}`, label: "spam" })),
  ];
  const [train, valid, test] = stratifiedSplit(rows, [0.7, 0.1, 0.2], 42);
  const count = (part: typeof rows, label: string) => part.filter((r) => r.label === label).length;
  assert.deepEqual([count(train, "ham"), count(valid, "ham"), count(test, "ham")], [49, 7, 14]);
  assert.deepEqual([count(train, "spam"), count(valid, "spam"), count(test, "spam")], [21, 3, 6]);
  assert.deepEqual(stratifiedSplit(rows, [0.7, 0.1, 0.2], 42), [train, valid, test]);
  assert.throws(() => stratifiedSplit(rows, [0.5, 0.4], 1), /Cannot split rows: fractions/);
});

Deno.test("seededHash: stable across calls, differs by seed and key", () => {
  assert.equal(seededHash("train/pos/1_9.txt", 42), seededHash("train/pos/1_9.txt", 42));
  assert.notEqual(seededHash("train/pos/1_9.txt", 42), seededHash("train/pos/1_9.txt", 43));
  assert.notEqual(seededHash("a", 0), seededHash("b", 0));
});
