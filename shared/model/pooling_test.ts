import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Tensor3D } from "@tensorflow/tfjs";
import { createOps } from "../ops/ops.ts";
import { poolingMasks } from "./classifier.ts";
import { ChunkPooler } from "./pooling.ts";

await tf.setBackend("cpu");
const ops = createOps(tf, "cpu");

// T = 7, B = 3, H = 4; documents 7, 5 and 2 long, windows of at most 4 steps.
const [T, B, H] = [7, 3, 4];
const LENGTHS = [7, 5, 2];
const m = poolingMasks(LENGTHS, T, 4);
const mask = (a: Float32Array, from = 0, to = T) =>
  tf.tensor3d(a.subarray(from * B, to * B), [to - from, B, 1]);
const y = tf.randomNormal([T, B, H], 0, 1, "float32", 1) as Tensor3D;
const weights = tf.randomNormal([B, 3 * H], 0, 1, "float32", 2);

/** The pooling written densely with plain ops: tfjs's own gradients are the reference. */
function densePooled(x: Tensor3D): tf.Tensor {
  const last = tf.sum(tf.mul(x, mask(m.last)), 0);
  const max = tf.max(tf.add(x, tf.mul(tf.sub(mask(m.pool), 1), 1e30)), 0);
  const mean = tf.div(tf.sum(tf.mul(x, mask(m.pool)), 0), tf.tensor2d(m.counts, [B, 1]));
  return tf.concat([last, max, mean], 1);
}

/** The same through ChunkPooler, in two chunks (steps 0–2 and 3–6). */
function chunkedPooled(x: Tensor3D): tf.Tensor {
  const pooler = new ChunkPooler(ops, m.counts);
  for (const [from, to] of [[0, 3], [3, T]]) {
    pooler.add(
      [tf.slice(x, [from, 0, 0], [to - from, B, H])],
      mask(m.pool, from, to),
      mask(m.last, from, to),
    );
  }
  return pooler.result(true);
}

Deno.test("ChunkPooler in two chunks: same pooled values and gradients as dense pooling", () => {
  assert.ok(tf.max(tf.abs(tf.sub(chunkedPooled(y), densePooled(y)))).dataSync()[0] < 1e-6);
  const loss = (f: (x: Tensor3D) => tf.Tensor) => (x: tf.Tensor) =>
    tf.sum(tf.mul(f(x as Tensor3D), weights));
  const want = tf.grad(loss(densePooled))(y);
  const got = tf.grad(loss(chunkedPooled))(y);
  assert.ok(tf.max(tf.abs(want)).dataSync()[0] > 0.1, "the reference gradient is not trivial");
  assert.ok(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0] < 1e-5);
});

Deno.test("ChunkPooler of several layers lays them side by side: last | max | mean", () => {
  const pooler = new ChunkPooler(ops, m.counts);
  const a = tf.slice(y, [0, 0, 0], [T, B, 3]) as Tensor3D,
    b = tf.slice(y, [0, 0, 3], [T, B, 1]) as Tensor3D;
  pooler.add([a, b], mask(m.pool), mask(m.last));
  assert.ok(tf.max(tf.abs(tf.sub(pooler.result(true), densePooled(y)))).dataSync()[0] < 1e-6);
  assert.deepEqual(pooler.result(false).shape, [B, H]);
});
