import assert from "node:assert/strict";
import { cosineAnneal, discriminativeRates, epochPlan, reverseAnneal } from "./schedule.ts";

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

Deno.test("cosineAnneal matches Eq. 1 at sampled steps", () => {
  // η_max 0.002, η_min 0, 8 steps: t=2 → 0.001(1 + cos(π/4)).
  close(cosineAnneal(0, 8, 0.002), 0.002);
  close(cosineAnneal(2, 8, 0.002), 0.001 * (1 + Math.SQRT1_2));
  close(cosineAnneal(4, 8, 0.002), 0.001);
  close(cosineAnneal(6, 8, 0.002), 0.001 * (1 - Math.SQRT1_2));
  close(cosineAnneal(8, 8, 0.002), 0);
  close(cosineAnneal(3, 6, 0.01, 0.002), 0.006);
});

Deno.test("reverseAnneal rises from min to max", () => {
  close(reverseAnneal(0, 8, 0.002), 0);
  close(reverseAnneal(2, 8, 0.002), 0.001 * (1 - Math.SQRT1_2));
  close(reverseAnneal(8, 8, 0.002), 0.002);
});

Deno.test("discriminativeRates: each lower group = upper × factor", () => {
  const r = discriminativeRates(4, 0.002, 0.3);
  close(r[3], 0.002), close(r[2], 0.0006), close(r[1], 0.00018), close(r[0], 0.000054);
  const u = discriminativeRates(2, 1, 1 / 2.6);
  close(u[0], 1 / 2.6);
});

Deno.test("epochPlan: warm-up epoch, then one more group unfrozen each epoch", () => {
  const o = { groups: 4, maxLr: 0.002, warmup: true, gradualUnfreeze: true, cosine: true };
  assert.equal(epochPlan(0, o).lowestTrainable, 0);
  close(epochPlan(0, o).rate(0, 10), 0);
  assert.deepEqual([1, 2, 3, 4, 5].map((e) => epochPlan(e, o).lowestTrainable), [3, 2, 1, 0, 0]);
  close(epochPlan(1, o).rate(0, 10), 0.002);
  close(epochPlan(1, o).rate(10, 10), 0);
  const flat = { ...o, warmup: false, gradualUnfreeze: false, cosine: false };
  assert.equal(epochPlan(0, flat).lowestTrainable, 0);
  close(epochPlan(0, flat).rate(5, 10), 0.002);
  // Without warm-up, epoch 0 already trains the top group only.
  assert.equal(epochPlan(0, { ...o, warmup: false }).lowestTrainable, 3);
});

Deno.test("epochPlan rampShare: the rate rises over the first share of steps, then falls by cosine", () => {
  const o = { groups: 3, maxLr: 0.01, warmup: false, gradualUnfreeze: false, cosine: true };
  const p = epochPlan(0, { ...o, rampShare: 0.25 });
  // 100 steps: rising over steps 0-24 (reverse cosine), the peak at 25, then down to 0 at 100.
  assert.equal(p.rate(0, 100), 0);
  assert.ok(Math.abs(p.rate(12.5, 100) - 0.005) < 1e-12);
  assert.equal(p.rate(25, 100), 0.01);
  assert.ok(Math.abs(p.rate(62.5, 100) - 0.005) < 1e-12);
  assert.ok(p.rate(99, 100) < 1e-4);
  // Without a ramp the plan is unchanged.
  assert.equal(epochPlan(0, o).rate(0, 100), 0.01);
});
