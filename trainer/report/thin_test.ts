import assert from "node:assert/strict";
import type { Point } from "./chart.ts";
import { MAX_BUCKETS, thinEnvelope, thinLast } from "./thin.ts";

Deno.test("thinEnvelope keeps a spike; short series are left alone", () => {
  const points: Point[] = Array.from({ length: 10_000 }, (_, i) => [i, i === 4321 ? 100 : 1]);
  const thin = thinEnvelope(points, 0, 9_999);
  assert.ok(thin.length <= 2 * (MAX_BUCKETS + 1), `${thin.length} points`);
  assert.ok(thin.some(([x, y]) => x === 4321 && y === 100));
  assert.ok(thin.every((p, i) => i === 0 || p[0] > thin[i - 1][0]), "x stays increasing");
  const short: Point[] = [[0, 1], [1, 2]];
  assert.equal(thinEnvelope(short, 0, 1), short);
});

Deno.test("thinLast keeps about one point per bucket, first and last included", () => {
  const points: Point[] = Array.from({ length: 10_000 }, (_, i) => [i, i]);
  const thin = thinLast(points, 0, 9_999);
  assert.ok(thin.length <= MAX_BUCKETS + 2, `${thin.length} points`);
  assert.deepEqual(thin[0], [0, 0]);
  assert.deepEqual(thin.at(-1), [9_999, 9_999]);
});
