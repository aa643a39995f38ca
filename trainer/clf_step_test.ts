import assert from "node:assert/strict";
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset } from "../shared/model/config.ts";
import { paramName } from "../shared/model/params.ts";
import { Rng } from "../shared/rng.ts";
import { classifierStep, microBatches, windowSteps, withMemoryHint } from "./clf_step.ts";
import type { EncodedDoc } from "./clf_train.ts";
import type { Adam } from "./optim.ts";

const { ops } = await initBackend("wasm");

Deno.test("microBatches: every document once, each part within the limit or alone", () => {
  const rng = new Rng(5);
  for (let trial = 0; trial < 200; trial++) {
    const lengths = Array.from({ length: 1 + rng.int(40) }, () => 1 + rng.int(5000));
    const limit = 1 + rng.int(60_000);
    const parts = microBatches(lengths, 1400, 70, limit);
    assert.deepEqual(parts.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
    for (const p of parts) {
      const cost = p.length * windowSteps(p.map((i) => lengths[i]), 1400, 70);
      assert.ok(p.length === 1 || cost <= limit, `part of ${p.length} costs ${cost} > ${limit}`);
    }
    if (lengths.length * windowSteps(lengths, 1400, 70) <= limit) assert.equal(parts.length, 1);
  }
});

/** The gradients and the BatchNorm running means of one step on `batch` in `maxSteps` parts. */
async function afterStep(batch: EncodedDoc[], maxSteps: number) {
  const clf = new TextClassifier(ops, encoderPreset("tiny", 40), headPreset(2, 8), 3);
  const grads: Record<string, Float32Array> = {};
  // Records the gradients the optimizer gets (Adam's first step would only keep their signs).
  const recorder = {
    step: async (g: Record<string, { data(): Promise<unknown> }>) => {
      for (const [k, t] of Object.entries(g)) {
        grads[paramName(k)] = (await t.data()) as Float32Array;
      }
      return 0;
    },
  } as unknown as Adam;
  const vars = clf.trainableVariables();
  const r = await classifierStep(
    clf,
    recorder,
    new Rng(1),
    batch,
    vars,
    0.01,
    () => 1,
    0,
    maxSteps,
  );
  const head = await clf.head.export();
  const means = Object.entries(head).filter(([k]) => k.endsWith("running_mean"));
  clf.dispose();
  return { r, values: { ...grads, ...Object.fromEntries(means.map(([k, p]) => [k, p.data])) } };
}

/** Two random 30-token documents of labels 0 and 1, drawn from `seed`. */
function twoDocs(seed: number): EncodedDoc[] {
  const rng = new Rng(seed);
  return [0, 1].map((label) => ({
    ids: Int32Array.from({ length: 30 }, () => 2 + rng.int(38)),
    label,
  }));
}

Deno.test("classifierStep: a batch run in parts takes the same step as in one piece", async () => {
  // [a, b, a, b] in two parts [a, b], [a, b] (equal lengths keep the order): without dropout each
  // part has the whole batch's BatchNorm statistics and mean loss, so the averaged gradients and
  // the running means must match the unsplit step's.
  const [a, b] = twoDocs(9);
  const batch = [a, b, a, b];
  const whole = await afterStep(batch, Infinity);
  const split = await afterStep(batch, 2 * 30);
  assert.equal(whole.r.parts, 1);
  assert.equal(split.r.parts, 2);
  assert.ok(Math.abs(whole.r.loss - split.r.loss) < 1e-4, `${whole.r.loss} vs ${split.r.loss}`);
  assert.equal(whole.r.tokens, split.r.tokens);
  const names = Object.keys(whole.values);
  assert.ok(names.length > 10 && names.some((n) => n.includes("running_mean")));
  for (const name of names) {
    const w = whole.values[name], s = split.values[name];
    const scale = Math.max(1e-3, ...w.map(Math.abs));
    for (let i = 0; i < w.length; i++) {
      assert.ok(Math.abs(w[i] - s[i]) < 1e-3 * scale, `${name}[${i}]: ${w[i]} ≠ ${s[i]}`);
    }
  }
});

Deno.test("withMemoryHint: a wasm heap abort becomes an error naming the batch and the fix", () => {
  const abort = () => {
    throw new WebAssembly.RuntimeError("memory access out of bounds");
  };
  assert.throws(
    () => withMemoryHint(32, 3400, "all", 20_000, abort),
    // 32 · 3400 · 20,000 bytes ≈ 2,075 MB: half, down to a multiple of 64.
    /^Error: Cannot train the classifier: a batch of 32 documents with 3400 steps to backpropagate ran out of the wasm backend's memory \(memory access out of bounds\); lower classify\.stepMemoryMB below this part's estimated 2075 MB \(--config with \{"classify": \{"stepMemoryMB": 1024\}\}\) or pool the last layer only \(--pool-layers last\)$/,
  );
  // A part already small gets a smaller suggestion, never below 64 MB.
  assert.throws(() => withMemoryHint(4, 100, "last", 20_000, abort), /"stepMemoryMB": 64\}/);
  assert.throws(() => withMemoryHint(32, 1000, "last", 20_000, abort), /"stepMemoryMB": 256\}/);
  // Other errors pass through unchanged; a step that works returns its value.
  assert.throws(() =>
    withMemoryHint(1, 1, "all", 1, () => {
      throw new TypeError("x");
    }), TypeError);
  assert.equal(withMemoryHint(1, 1, "all", 1, () => 7), 7);
});

Deno.test("classifierStep: weighted documents give the weighted mean of their gradients", async () => {
  // With BatchNorm a document's gradient depends on the batch, so compare within one batch
  // [a, b]: weights [1, 0] give ℓ_a's gradient, [0, 1] ℓ_b's, and [2, 1] must give
  // (2·∇ℓ_a + ∇ℓ_b) / 3; run in two parts [a, b], [a, b] as well, so each part's share of the
  // weighted loss is checked too.
  const [a, b] = twoDocs(11);
  const weighted = (wa: number, wb: number) =>
    [a, b, a, b].map((d, i) => ({ ...d, weight: i % 2 ? wb : wa }));
  const onlyA = await afterStep(weighted(1, 0), Infinity);
  const onlyB = await afterStep(weighted(0, 1), Infinity);
  const mixed = await afterStep(weighted(2, 1), 2 * 30);
  assert.equal(mixed.r.parts, 2);
  assert.ok(Math.abs(mixed.r.loss - (2 * onlyA.r.loss + onlyB.r.loss) / 3) < 1e-4);
  const grads = Object.keys(onlyA.values).filter((n) => !n.includes("running"));
  assert.ok(grads.length > 10);
  for (const name of grads) {
    const ga = onlyA.values[name], gb = onlyB.values[name], g = mixed.values[name];
    const scale = Math.max(1e-3, ...g.map(Math.abs));
    for (let i = 0; i < g.length; i++) {
      const want = (2 * ga[i] + gb[i]) / 3;
      assert.ok(Math.abs(g[i] - want) < 1e-3 * scale, `${name}[${i}]: ${g[i]} ≠ ${want}`);
    }
  }
  // Equal weights are the plain mean.
  const plain = await afterStep([a, b, a, b], Infinity);
  const equal = await afterStep(weighted(3, 3), Infinity);
  assert.ok(Math.abs(plain.r.loss - equal.r.loss) < 1e-6);
});
