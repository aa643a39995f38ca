// fitlam's wasm cross-entropy kernels against the tfjs-op decoder loss
// (decoderLossGeneric) on random inputs: value and every gradient within
// 1e-4 relative error, on one thread and on two.
import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D } from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { Rng } from "../rng.ts";
import { decoderLossGeneric, type DecoderLossInputs } from "./decoder_loss.ts";
import { decoderLossWasm } from "./decoder_loss_wasm.ts";
import { kernelThreadsReady } from "./wasm/pool.ts";
import { relError } from "./test_util.ts";

const { ops } = await initBackend("wasm");
await kernelThreadsReady();

// [N, V, E]: scalar tails (V % 4), several 64-row chunks, a size that runs on two threads,
// and V > 2,048 (dh = P·W in slices of V; dW in blocks of 256 rows and a partial one).
for (const [N, V, E] of [[7, 13, 5], [130, 50, 12], [150, 1003, 36], [70, 2109, 20]]) {
  Deno.test(`decoder loss wasm kernel: N=${N} V=${V} E=${E} equals the tfjs-op loss`, async () => {
    const rng = new Rng(N + V + E);
    const rand = (shape: number[], scale: number) =>
      ops.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal(0, scale)),
        shape,
      );
    const h = rand([N, E], 1) as Tensor2D;
    const weight = rand([V, E], 0.5) as Tensor2D;
    const bias = rand([V], 0.5) as Tensor1D;
    const targets = ops.tensor1d(Int32Array.from({ length: N }, () => rng.int(V)), "int32");
    const inputs = (a: Tensor[]): DecoderLossInputs => ({
      h: a[0] as Tensor2D,
      weight: a[1] as Tensor2D,
      bias: a[2] as Tensor1D,
      targets,
    });
    const fast = decoderLossWasm(ops, inputs([h, weight, bias]));
    const plain = decoderLossGeneric(ops, inputs([h, weight, bias]));
    const e = relError(await fast.data() as Float32Array, await plain.data() as Float32Array);
    assert.ok(e <= 1e-4, `loss: relative error ${e}`);
    const gf = ops.grads((...a: Tensor[]) => ops.mul(decoderLossWasm(ops, inputs(a)), 3))([
      h,
      weight,
      bias,
    ]);
    const gp = ops.grads((...a: Tensor[]) => ops.mul(decoderLossGeneric(ops, inputs(a)), 3))([
      h,
      weight,
      bias,
    ]);
    for (const [k, name] of ["h", "weight", "bias"].entries()) {
      const e = relError(await gf[k].data() as Float32Array, await gp[k].data() as Float32Array);
      assert.ok(e <= 1e-4, `d${name}: relative error ${e}`);
    }
  });
}
