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

Deno.test({
  name: "webgpu backend: addN of many tensors and a decoder loss summed over 10 chunks match wasm",
  ignore: !Deno.env.get("FITLAM_TEST_WEBGPU"),
}, async () => {
  // tfjs-webgpu's own addN returns a stale buffer from 8 inputs on: a stage-1 loss of 0.
  const run = async (device: "webgpu" | "wasm") => {
    const { ops } = await initBackend(device);
    const sums = [];
    for (const n of [3, 8, 9, 14, 17]) {
      const xs = Array.from({ length: n }, (_, i) => ops.fill([5], i + 1));
      sums.push((await ops.addN(xs).data())[0]);
    }
    const h = ops.tensor2d(Array.from({ length: 20 * 4 }, (_, i) => Math.sin(i)), [20, 4]);
    const w = ops.tensor2d(Array.from({ length: 6 * 4 }, (_, i) => Math.cos(i)), [6, 4]);
    const b = ops.tensor1d([0.1, -0.2, 0.3, 0, 0.5, -0.1]);
    const targets = ops.tensor1d(Array.from({ length: 20 }, (_, i) => (i * 7) % 6), "int32");
    const f = (hh: Tensor, ww: Tensor) =>
      ops.decoderLoss({ h: hh as never, weight: ww as never, bias: b, targets, chunkRows: 2 });
    const loss = (await f(h, w).data())[0];
    const [dh, dw] = ops.grads(f)([h, w]);
    return { sums, loss, dh: await dh.data(), dw: await dw.data() };
  };
  const gpu = await run("webgpu"), cpu = await run("wasm");
  assert.deepEqual(gpu.sums, [6, 36, 45, 105, 153]);
  assert.deepEqual(cpu.sums, gpu.sums);
  assert.ok(Math.abs(gpu.loss - cpu.loss) < 1e-5, `${gpu.loss} vs ${cpu.loss}`);
  for (const k of ["dh", "dw"] as const) {
    gpu[k].forEach((v, i) => assert.ok(Math.abs(v - cpu[k][i]) < 1e-5, `${k}[${i}]`));
  }
});
