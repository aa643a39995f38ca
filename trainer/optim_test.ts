import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { Adam, ADAM_DEFAULTS } from "./optim.ts";

const { ops } = await initBackend("cpu");

Deno.test("Adam: two hand-worked steps with β1 0.7, β2 0.99", async () => {
  const w = ops.variable(ops.tensor1d([1, -2]), true, "adam-hand");
  const adam = new Adam(ops, { ...ADAM_DEFAULTS, weightDecay: 0, clipNorm: 0, eps: 0 });
  adam.track([w]);
  await adam.step({ "adam-hand": ops.tensor1d([0.5, 0.1]) }, 0.1, () => 1);
  // Step 1: m̂ = g, v̂ = g², update = sign(g).
  assert.deepEqual(Array.from(w.dataSync()).map((x) => +x.toFixed(6)), [0.9, -2.1]);
  await adam.step({ "adam-hand": ops.tensor1d([-0.5, 0.1]) }, 0.1, () => 1);
  // Step 2, first entry: m = 0.7·0.15 + 0.3·(-0.5)... computed by hand below.
  const m1 = 0.3 * 0.5, v1 = 0.01 * 0.25;
  const m2 = 0.7 * m1 + 0.3 * -0.5, v2 = 0.99 * v1 + 0.01 * 0.25;
  const upd = (m2 / (1 - 0.49)) / Math.sqrt(v2 / (1 - 0.9801));
  assert.ok(Math.abs(w.dataSync()[0] - (0.9 - 0.1 * upd)) < 1e-6);
});

Deno.test("Adam: a zero rate freezes a variable bit for bit; clipping scales the gradient", async () => {
  const a = ops.variable(ops.tensor1d([1, 2]), true, "adam-a");
  const b = ops.variable(ops.tensor1d([3, 4]), true, "adam-b");
  const adam = new Adam(ops, { ...ADAM_DEFAULTS, clipNorm: 1 });
  adam.track([a, b]);
  const before = b.dataSync().slice();
  const norm = await adam.step(
    { "adam-a": ops.tensor1d([3, 0]), "adam-b": ops.tensor1d([4, 0]) },
    0.01,
    (n) => n === "adam-b" ? 0 : 1,
  );
  assert.equal(norm, 3); // frozen variables do not count towards the norm
  assert.deepEqual(b.dataSync(), before);
  assert.notDeepEqual(a.dataSync(), new Float32Array([1, 2]));
});

Deno.test("Adam: export/import restores the exact state", async () => {
  const w = ops.variable(ops.tensor1d([1, 2, 3]), true, "adam-x");
  const adam = new Adam(ops, ADAM_DEFAULTS);
  adam.track([w]);
  await adam.step({ "adam-x": ops.tensor1d([0.1, -0.2, 0.3]) }, 0.01, () => 1);
  const saved = await adam.export((n) => n);
  const copy = new Adam(ops, ADAM_DEFAULTS);
  copy.track([w]);
  copy.import(saved, (k) => k);
  const snapshot = w.dataSync().slice();
  await adam.step({ "adam-x": ops.tensor1d([0.3, 0.1, -0.1]) }, 0.01, () => 1);
  const afterOriginal = w.dataSync().slice();
  w.assign(ops.tensor1d(snapshot));
  await copy.step({ "adam-x": ops.tensor1d([0.3, 0.1, -0.1]) }, 0.01, () => 1);
  assert.deepEqual(w.dataSync(), afterOriginal);
});
