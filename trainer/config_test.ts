import assert from "node:assert/strict";
import { presetConfig } from "./config.ts";
import { mergeConfig } from "./settings.ts";

Deno.test("mergeConfig: sets known keys, refuses unknown keys, wrong types and negative numbers", () => {
  const base = presetConfig("small");
  const c = mergeConfig(base, { classify: { stepMemoryMB: 1024, lr: 0.003 } }, "c.json");
  assert.equal(c.classify.stepMemoryMB, 1024);
  assert.equal(c.classify.lr, 0.003);
  assert.equal(base.classify.stepMemoryMB, 2048, "the base is not changed");
  assert.throws(
    () => mergeConfig(base, { classify: { stepMemory: 1 } }, "c.json"),
    /^Error: Cannot read c\.json: unknown setting "classify\.stepMemory"; valid ones are .*stepMemoryMB/,
  );
  assert.throws(
    () => mergeConfig(base, { classify: { lr: "0.1" } }, "c.json"),
    /"classify\.lr" must be a number, got "0\.1"/,
  );
  assert.throws(
    () => mergeConfig(base, { classify: { stepMemoryMB: -1 } }, "c.json"),
    /^Error: Cannot read c\.json: "classify\.stepMemoryMB" must be a number ≥ 0, got -1$/,
  );
  assert.throws(() => mergeConfig(base, { seed: -3 }, "c.json"), /"seed" must be a number ≥ 0/);
});
