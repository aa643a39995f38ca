import assert from "node:assert/strict";
import type { Tensor2D } from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { Rng } from "../rng.ts";
import { AwdLstm } from "./awd_lstm.ts";
import { encoderPreset } from "./config.ts";
import {
  dropConnect,
  embedWithDropout,
  lockedDropout,
  sampleEncoderMasks,
  sampleMask,
} from "./dropout.ts";

const { ops } = await initBackend("cpu");

Deno.test("sampleMask: rate within 5 sigma, values 0 or 1/(1-p), none for p = 0", async () => {
  const n = 200_000;
  for (const p of [0.05, 0.3, 0.5]) {
    const data = await sampleMask(ops, new Rng(7), [n], p)!.data();
    const keep = Math.fround(1 / (1 - p));
    let zeros = 0;
    for (const v of data) {
      if (v === 0) zeros++;
      else assert.equal(v, keep);
    }
    const sigma = Math.sqrt(p * (1 - p) / n);
    assert.ok(Math.abs(zeros / n - p) < 5 * sigma, `p=${p}: dropped ${zeros / n}`);
  }
  assert.equal(sampleMask(ops, new Rng(7), [10], 0), undefined);
});

Deno.test("sampleMask: same seed, same mask; other seed, other mask", async () => {
  const a = await sampleMask(ops, new Rng(3), [64], 0.5)!.data();
  const b = await sampleMask(ops, new Rng(3), [64], 0.5)!.data();
  const c = await sampleMask(ops, new Rng(4), [64], 0.5)!.data();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("lockedDropout: one mask for every time step, different across the batch", async () => {
  const [T, B, n] = [5, 4, 50];
  const mask = sampleMask(ops, new Rng(1), [B, n], 0.5) as Tensor2D;
  const out = await lockedDropout(ops, ops.ones([T, B, n]), mask).array() as number[][][];
  for (let t = 1; t < T; t++) assert.deepEqual(out[t], out[0]);
  assert.notDeepEqual(out[0][0], out[0][1]);
});

Deno.test("embedWithDropout: a dropped word is zero wherever it occurs; kept rows scaled", async () => {
  const weight = ops.tensor2d([[1, 2], [3, 4], [5, 6]]);
  const rowMask = ops.tensor1d([0, 2, 2]);
  const tokens = ops.tensor2d([[0, 1], [0, 2]], undefined, "int32");
  const out = await embedWithDropout(ops, weight, tokens, rowMask).array();
  assert.deepEqual(out, [[[0, 0], [6, 8]], [[0, 0], [10, 12]]]);
});

Deno.test("weight drop: changes the output, leaves the stored weights untouched", async () => {
  const lm = new AwdLstm(ops, encoderPreset("tiny", 20), 5);
  const before = await lm.params.get("rnns.0.weight_hh").data();
  const tokens = ops.tensor2d([[2, 3, 4, 5]], undefined, "int32");
  const plain = await lm.encode(tokens).output.data();
  const masks = sampleEncoderMasks(ops, new Rng(2), { ...lm.config }, 1);
  const onlyWeightDrop = { weightHh: masks.weightHh };
  const dropped = await lm.encode(tokens, undefined, onlyWeightDrop).output.data();
  assert.notDeepEqual(dropped, plain);
  assert.deepEqual(await lm.params.get("rnns.0.weight_hh").data(), before);
  // dropConnect is exactly weight ⊙ mask.
  const w = ops.tensor2d([[1, 2], [3, 4]]);
  const m = ops.tensor2d([[0, 2], [2, 0]]);
  assert.deepEqual(await dropConnect(ops, w, m).array(), [[0, 4], [6, 0]]);
});

Deno.test("sampleEncoderMasks: shapes follow the config; scale multiplies probabilities", () => {
  const c = encoderPreset("small", 100);
  const m = sampleEncoderMasks(ops, new Rng(0), c, 3);
  assert.deepEqual(m.embedRows!.shape, [100]);
  assert.deepEqual(m.input!.shape, [3, 64]);
  assert.deepEqual(m.hidden!.map((t) => t!.shape), [[3, 256], [3, 256]]);
  assert.deepEqual(m.output!.shape, [3, 64]);
  assert.deepEqual(m.weightHh!.map((t) => t!.shape), [[1024, 256], [1024, 256], [256, 64]]);
  const none = sampleEncoderMasks(ops, new Rng(0), c, 3, 0);
  assert.equal(none.input, undefined);
  assert.equal(none.weightHh!.every((t) => t === undefined), true);
});

Deno.test("dropout is off in inference: encode without masks is deterministic", async () => {
  const lm = new AwdLstm(ops, encoderPreset("tiny", 20), 1);
  const tokens = ops.tensor2d([[2, 3, 4]], undefined, "int32");
  assert.deepEqual(await lm.encode(tokens).output.data(), await lm.encode(tokens).output.data());
});
