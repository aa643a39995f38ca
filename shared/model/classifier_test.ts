import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Tensor3D } from "@tensorflow/tfjs";
import { createOps } from "../ops/ops.ts";
import { PoolAccumulator } from "../infer/encoder.ts";
import type { EncodeResult } from "./awd_lstm.ts";
import { headSpecs, pooledLayers, TextClassifier } from "./classifier.ts";
import { encoderPreset, type HeadConfig, headPreset } from "./config.ts";

await tf.setBackend("cpu");
const ops = createOps(tf, "cpu");

/** Rounds to 6 decimals, so float32 results compare with hand-worked decimals. */
const round = (xs: ArrayLike<number>) => Array.from(xs, (x) => Math.round(x * 1e6) / 1e6);

// Two layers, T = 3, B = 2: layer 0 is 2 wide, layer 1 (the last) 1 wide.
// Document 0 is 3 long, document 1 is 2 long (its step 2 is padding, with
// values that would win the max if it were not masked out); maxLen 2.
const LAYER0 = [
  [[1, 2], [3, -4]],
  [[5, -6], [7, 8]],
  [[-9, 10], [100, 100]],
];
const LAYER1 = [[[0.5], [1.5]], [[2.5], [-3.5]], [[-1], [99]]];
const LENGTHS = [3, 2];
// Per step [l0, l0, l1]. Doc 0's window is steps 1–2: [5, -6, 2.5], [-9, 10, -1];
// doc 1's is steps 0–1: [3, -4, 1.5], [7, 8, -3.5]. Then [last, max, mean] each.
const ALL_POOLED = [
  [-9, 10, -1, 5, 10, 2.5, -2, 2, 0.75],
  [7, 8, -3.5, 7, 8, 1.5, 5, 2, -1],
];
const LAST_POOLED = [[-1, 2.5, 0.75], [-3.5, 1.5, -1]];

function fakeEncode(): EncodeResult {
  const l0 = tf.tensor3d(LAYER0), l1 = tf.tensor3d(LAYER1);
  return { output: l1, raw: l1, layers: [l0, l1], state: { h: [], c: [] } };
}

function handClassifier(poolLayers: "last" | "all"): TextClassifier {
  const encoder = { ...encoderPreset("tiny", 10), numLayers: 2, hiddenSize: 2, embSize: 1 };
  return new TextClassifier(ops, encoder, { ...headPreset(2), maxLen: 2, poolLayers });
}

Deno.test("pooling every layer: [last, max, mean] over the layers' outputs side by side, worked by hand", async () => {
  for (const [mode, want] of [["all", ALL_POOLED], ["last", LAST_POOLED]] as const) {
    const clf = handClassifier(mode);
    const pooled = clf.pool(pooledLayers(fakeEncode(), mode), LENGTHS);
    assert.deepEqual(pooled.shape, [2, want[0].length]);
    const got = round(await pooled.data());
    assert.deepEqual(got, want.flat(), mode);
    clf.dispose();
  }
});

Deno.test("the CPU path's accumulator lays out every layer's pooled features as tfjs does", () => {
  const seqs = LENGTHS.map((n) => new Int32Array(n));
  const acc = new PoolAccumulator(seqs, 3, 2);
  acc.add(new Float32Array(LAYER0.flat(2)), 0, 2, 0, 2);
  acc.add(new Float32Array(LAYER0.slice(2).flat(2)), 2, 1, 0, 2);
  acc.add(new Float32Array(LAYER1.flat(2)), 0, 3, 2, 1);
  assert.deepEqual(round(acc.result(true)), ALL_POOLED.flat());
});

Deno.test("headSpecs: pooling all of small's layers feeds 3 × (256 + 256 + 64) = 1728 features", () => {
  const small = encoderPreset("small", 100);
  const all = headSpecs({ ...headPreset(4), poolLayers: "all" }, small);
  assert.deepEqual(all["head.0.linear.weight"].shape, [50, 1728]);
  assert.deepEqual(all["head.0.bn.running_mean"].shape, [1728]);
  assert.deepEqual(all["head.1.linear.weight"].shape, [4, 50]);
  const last = headSpecs(headPreset(4), small);
  assert.deepEqual(last["head.0.linear.weight"].shape, [50, 192]);
  const single = headSpecs({ ...headPreset(4), poolLayers: "all", concatPool: false }, small);
  assert.deepEqual(single["head.0.linear.weight"].shape, [50, 576]);
});

Deno.test("a classifier pooling all layers pools what one unchunked encoder pass gives", async () => {
  // bptt 2 and maxLen 3 over 7 steps: chunks before the window are zeroed, state carried.
  const head: HeadConfig = { ...headPreset(3, 2), maxLen: 3, poolLayers: "all" };
  const clf = new TextClassifier(ops, encoderPreset("tiny", 30), head, 3);
  const tokens = tf.tensor2d([[2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 1, 1, 1]], undefined, "int32");
  const lengths = [7, 4];
  const { pooled } = clf.forward(tokens, lengths);
  assert.deepEqual(pooled.shape, [2, 3 * (32 + 16)]);
  // The reference: each layer's [T, B, h] from one pass, pooled in plain JavaScript.
  const enc = clf.encoder.encode(tokens);
  const layers = await Promise.all(enc.layers.map((t: Tensor3D) => t.array()));
  const want = lengths.flatMap((n, b) => {
    const steps = Array.from({ length: n }, (_, t) => layers.flatMap((l) => l[t][b]));
    const window = steps.slice(Math.max(0, n - head.maxLen));
    const F = steps[0].length, cols = (f: number) => window.map((s) => s[f]);
    const max = Array.from({ length: F }, (_, f) => Math.max(...cols(f)));
    const mean = Array.from(
      { length: F },
      (_, f) => cols(f).reduce((a, v) => a + v) / window.length,
    );
    return [...steps[n - 1], ...max, ...mean];
  });
  const got = await pooled.data();
  const d = Math.max(...want.map((v, i) => Math.abs(v - got[i])));
  assert.ok(d < 1e-5, `max |Δ| = ${d}`);
  clf.dispose();
});

Deno.test("a head config with an unknown poolLayers is refused, naming the choices", () => {
  const head = { ...headPreset(2), poolLayers: "every" } as unknown as HeadConfig;
  assert.throws(
    () => new TextClassifier(ops, encoderPreset("tiny", 30), head),
    /^Error: Cannot build the classifier head: poolLayers = "every" must be "last" or "all"$/,
  );
});

Deno.test("skipToWindow + forward from its state equals one forward over the whole documents", () => {
  for (const poolLayers of ["last", "all"] as const) {
    const head = { ...headPreset(3), maxLen: 4, bptt: 3, poolLayers };
    const clf = new TextClassifier(ops, encoderPreset("tiny", 30), head, 7);
    const lengths = [13, 11];
    const ids = [...Array(26)].map((_, i) => 2 + (i * 7) % 27);
    ids[24] = ids[25] = 1; // document 1 padded to 13
    const tokens = tf.tensor2d(ids, [2, 13], "int32");
    const whole = clf.forward(tokens, lengths).logits.arraySync();
    const { state, offset } = clf.skipToWindow(tokens, lengths);
    // The windows start at 9 and 7: chunks [0, 3) and [3, 6) are skipped.
    assert.equal(offset, 6);
    const rest = tf.slice(tokens, [0, offset], [-1, -1]);
    const windowed = clf.forward(rest, lengths.map((n) => n - offset), { state }).logits;
    assert.deepEqual(round(windowed.dataSync()), round(whole.flat()));
    clf.dispose();
  }
});
