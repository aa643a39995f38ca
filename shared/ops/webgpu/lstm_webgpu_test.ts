// fitlam's WGSL LSTM kernels against the plain tfjs-op LSTM (lstmGeneric) on
// the same webgpu backend: outputs, final state and every gradient within
// 1e-4 relative error on random inputs. WebGPU tests run only with
// FITLAM_TEST_WEBGPU=1 (in a process of their own, see .ci/run); on CI that
// is Mesa's llvmpipe, so the shapes stay small.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import { initBackend, probeGpu } from "../../backend.ts";
import { Rng } from "../../rng.ts";
import { lstmGeneric, type LstmInputs } from "../lstm.ts";
import { LSTM_FORWARD_WEBGPU_KERNEL, lstmWebgpu } from "./lstm_webgpu.ts";
import { verifyWebgpuKernels } from "./webgpu_kernels.ts";
import { randomLstmInputs, randomNormal, relError } from "../test_util.ts";

const gpu = Deno.env.get("FITLAM_TEST_WEBGPU") ? await probeGpu() : undefined;

const SHAPES: [number, number, number, number][] = [
  // [T, B, nIn, H]
  [5, 3, 4, 6],
  [1, 1, 3, 5], // one step, one row
  [4, 5, 7, 70], // two workgroups (64 units each), the second partial; 5 rows: a partial row block
];

for (const [T, B, I, H] of SHAPES) {
  Deno.test({
    name: `lstm webgpu kernel: T=${T} B=${B} in=${I} H=${H} equals the tfjs-op LSTM`,
    ignore: !gpu,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { ops } = await initBackend("webgpu");
      const base = randomLstmInputs(ops, new Rng(T * 1000 + B * 100 + H), T, B, I, H);
      const rng = new Rng(7);
      const weightsOf = (shape: number[]) => randomNormal(ops, rng, shape, 1);
      const wy = weightsOf([T, B, H]), wh = weightsOf([B, H]), wc = weightsOf([B, H]);
      const fast = lstmWebgpu(ops, base), plain = lstmGeneric(ops, base);
      for (const what of ["y", "h", "c"] as const) {
        const e = relError(
          await fast[what].data() as Float32Array,
          await plain[what].data() as Float32Array,
        );
        assert.ok(e <= 1e-4, `${what}: relative error ${e}`);
      }
      // Inference (no tape): the forward steps alone.
      const infer = ops.tidy(() => lstmWebgpu(ops, base).y);
      const e = relError(await infer.data() as Float32Array, await plain.y.data() as Float32Array);
      assert.ok(e <= 1e-4, `inference y: relative error ${e}`);

      const names = ["x", "wIh", "wHh", "bIh", "bHh"] as const;
      const args = names.map((n) => base[n] as Tensor);
      const withArgs = (a: Tensor[]) =>
        ({ ...base, ...Object.fromEntries(names.map((n, k) => [n, a[k]])) }) as LstmInputs;
      // h and c are detached: their terms add nothing to the gradients.
      const loss = (kernel: typeof lstmWebgpu) => (...a: Tensor[]) => {
        const out = kernel(ops, withArgs(a));
        return ops.addN([
          ops.sum(ops.mul(out.y, wy)),
          ops.sum(ops.mul(out.h, wh)),
          ops.sum(ops.mul(out.c, wc)),
        ]);
      };
      const gFast = ops.grads(loss(lstmWebgpu))(args);
      const gPlain = ops.grads(loss(lstmGeneric))(args);
      for (let k = 0; k < names.length; k++) {
        const e = relError(
          await gFast[k].data() as Float32Array,
          await gPlain[k].data() as Float32Array,
        );
        assert.ok(e <= 1e-4, `d${names[k]}: relative error ${e}`);
      }
    },
  });
}

Deno.test({
  name: "lstm webgpu kernel: is ops.lstm on webgpu, and extreme pre-activations stay finite",
  ignore: !gpu,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { ops } = await initBackend("webgpu");
    const [T, B, I, H] = [3, 2, 4, 8];
    const inputs: LstmInputs = {
      x: ops.fill([T, B, I], 50) as Tensor3D,
      h0: ops.zeros([B, H]),
      c0: ops.zeros([B, H]),
      wIh: ops.fill([4 * H, I], 10) as Tensor2D,
      wHh: ops.fill([4 * H, H], -10) as Tensor2D,
      bIh: ops.zeros([4 * H]),
      bHh: ops.zeros([4 * H]),
    };
    const a = await ops.lstm(inputs).y.data();
    const b = await lstmGeneric(ops, inputs).y.data();
    assert.ok(a.every(Number.isFinite));
    assert.ok(relError(a as Float32Array, b as Float32Array) <= 1e-4);
    // The registered path runs the WGSL step kernel (T dispatches in one kernel call).
    const info = await tf.profile(() => ops.lstm(inputs).y);
    const names = info.kernels.map((k) => k.name);
    const on = Deno.env.get("FITLAM_WEBGPU_KERNELS") !== "0";
    assert.equal(names.includes(LSTM_FORWARD_WEBGPU_KERNEL), on, names.join(" "));
  },
});

Deno.test({
  name: "lstm webgpu kernel: the start-up self-check passes on this adapter",
  ignore: !gpu,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { ops } = await initBackend("webgpu");
    const before = ops.memory().numTensors;
    assert.equal(await verifyWebgpuKernels(ops), true);
    assert.equal(ops.memory().numTensors, before);
  },
});
