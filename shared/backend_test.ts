import assert from "node:assert/strict";
import type { Tensor } from "@tensorflow/tfjs";
import { DEVICES, initBackend, parseDevice, probeGpu } from "./backend.ts";

Deno.test("parseDevice: a wrong device names every valid one", () => {
  assert.equal(parseDevice("wasm"), "wasm");
  assert.throws(() => parseDevice("cuda"), (e: Error) => {
    for (const d of DEVICES) assert.match(e.message, new RegExp(d));
    return /Cannot select device "cuda"/.test(e.message);
  });
});

Deno.test("initBackend: cpu and wasm start and compute", async () => {
  for (const device of ["cpu", "wasm"] as const) {
    const { backend, ops } = await initBackend(device);
    assert.equal(backend, device);
    assert.equal(ops.backend, device);
    const y = ops.matMul(ops.tensor2d([[1, 2]]), ops.tensor2d([[3], [4]]));
    assert.deepEqual(await y.data(), new Float32Array([11]));
  }
});

Deno.test({
  name: "initBackend: auto takes webgpu only on real hardware, else wasm",
  ignore: !Deno.env.get("FITLAM_TEST_WEBGPU"),
}, async () => {
  const gpu = await probeGpu();
  const { backend } = await initBackend("auto");
  assert.equal(backend, gpu && !gpu.software ? "webgpu" : "wasm");
});

Deno.test("wasm backend: embedding gradient (UnsortedSegmentSum) works", async () => {
  const { ops } = await initBackend("wasm");
  const table = ops.tensor2d([[1, 1], [2, 2], [3, 3]]);
  const idx = ops.tensor1d([2, 0, 2], "int32");
  const g = ops.grads((t: Tensor) => ops.sum(ops.gather(t, idx)))([table])[0];
  assert.deepEqual(await g.data(), new Float32Array([1, 1, 0, 0, 2, 2]));
});
