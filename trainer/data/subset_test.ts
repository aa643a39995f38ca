import assert from "node:assert/strict";
import { SeededSubset } from "./subset.ts";

Deno.test("SeededSubset: the kept set ignores arrival order and honours the limit", () => {
  const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
  const pick = (order: string[]) => {
    const s = new SeededSubset<string>(7, 42);
    for (const k of order) if (s.wants("g", k)) s.add("g", k, k);
    return s.values("g");
  };
  const forward = pick(keys);
  assert.equal(forward.length, 7);
  assert.deepEqual(pick(keys.toReversed()), forward);
  assert.deepEqual(forward, forward.toSorted(new Intl.Collator("en", { numeric: true }).compare));
  const other = new SeededSubset<string>(7, 43);
  for (const k of keys) other.add("g", k, k);
  assert.notDeepEqual(other.values("g"), forward);
});

Deno.test("SeededSubset: no limit keeps all; groups are separate; bad limits fail", () => {
  const s = new SeededSubset<number>(undefined, 1);
  for (let i = 0; i < 5; i++) s.add(i % 2 ? "odd" : "even", `${i}`, i);
  assert.deepEqual(s.values("even"), [0, 2, 4]);
  assert.deepEqual(s.values("odd"), [1, 3]);
  assert.deepEqual(s.values("none"), []);
  assert.throws(() => new SeededSubset(-1, 1), /Cannot take a subset: limit -1/);
});
