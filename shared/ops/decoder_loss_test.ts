import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";

const { ops } = await initBackend("cpu");

Deno.test("decoderLoss: hand-worked value (uniform logits give log V)", async () => {
  const loss = ops.decoderLoss({
    h: ops.zeros([3, 2]),
    weight: ops.zeros([5, 2]),
    bias: ops.zeros([5]),
    targets: ops.tensor1d([0, 4, 2], "int32"),
  });
  assert.ok(Math.abs((await loss.data())[0] - Math.log(5)) < 1e-6);
});

Deno.test("decoderLoss: equals plain softmax cross-entropy, any chunk size, with gradients", async () => {
  const h = ops.tensor2d([[0.1, -0.4, 0.3], [1, 0.2, -0.5], [-0.3, 0.8, 0.1], [0.5, 0.5, -1], [
    0.2,
    -0.1,
    0.7,
  ]]);
  const w = ops.tensor2d([[0.3, 0.1, -0.2], [-0.5, 0.4, 0.9], [0.2, -0.7, 0.1], [0.6, 0.2, 0.3]]);
  const b = ops.tensor1d([0.1, -0.2, 0.05, 0.3]);
  const targets = ops.tensor1d([3, 0, 1, 2, 1], "int32");
  const plain = (hh: Tensor, ww: Tensor, bb: Tensor) => {
    const logp = ops.logSoftmax(ops.add(ops.matMul(hh as Tensor2D, ops.transpose(ww)), bb));
    return ops.neg(ops.mean(ops.sum(ops.mul(logp, ops.oneHot(targets as Tensor1D, 4)), 1)));
  };
  const expected = ops.grads(plain)([h, w, b]);
  const expectedLoss = (await plain(h, w, b).data())[0];
  for (const chunkRows of [1, 2, 5, 100]) {
    const fused = (hh: Tensor, ww: Tensor, bb: Tensor) =>
      ops.decoderLoss({
        h: hh as Tensor2D,
        weight: ww as Tensor2D,
        bias: bb as Tensor1D,
        targets,
        chunkRows,
      });
    assert.ok(Math.abs((await fused(h, w, b).data())[0] - expectedLoss) < 1e-6);
    const got = ops.grads(fused)([h, w, b]);
    for (let k = 0; k < 3; k++) {
      const a = await got[k].data(), e = await expected[k].data();
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - e[i]) < 1e-6, `chunk ${chunkRows}`);
      }
    }
  }
});
