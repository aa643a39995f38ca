// fitlam's wasm LSTM kernels against the plain tfjs-op LSTM (lstmGeneric) on
// random inputs: outputs, final state and every gradient within 1e-4
// relative error, for shapes that hit the SIMD paths and the scalar tails.
import assert from "node:assert/strict";
import type { Tensor, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { Rng } from "../rng.ts";
import { lstmGeneric, type LstmInputs } from "./lstm.ts";
import { forwardWork, lstmWasm } from "./lstm_wasm.ts";
import { kernelThreads, kernelThreadsReady } from "./wasm/pool.ts";
import { KERNELS_SOURCE_SHA256 } from "./wasm/kernels_wasm.ts";
import { randomLstmInputs, randomNormal, relError } from "./test_util.ts";

const { ops } = await initBackend("wasm");

const SHAPES: [number, number, number, number][] = [
  // [T, B, nIn, H]
  [1, 1, 3, 5],
  [5, 3, 7, 10],
  [12, 7, 16, 32],
  [9, 16, 24, 36],
  [6, 2, 12, 20], // one- and two-row batches take the matrix-vector path
  // Large enough to run on two threads: batch rows split (16 rows), and
  // hidden units split (6 rows: 24/20 units, SIMD and scalar tails).
  [32, 16, 20, 44],
  [64, 6, 40, 44],
  [64, 5, 40, 50],
  // Two threads, hidden units split (>= 2^20 multiply-adds a step, see
  // forwardWork): H = 210 leaves thread 1 98 units, a partial packed panel
  // (scalar columns) and a scalar cell tail; and batch 1 (matrix-vector).
  [16, 6, 24, 210],
  [4, 1, 8, 512],
  // Batch rows split with an odd H: G = 180 leaves thread 1 84 projection
  // columns, whose last packed panel (4 columns) starts from the biases in
  // the scalar tail.
  [32, 16, 20, 45],
  // G = 2,080 > 2,048: the backward step's dz[t] · W_hh goes in slices of its inner dimension.
  [3, 6, 8, 520],
];

Deno.test("wasm kernels: a second thread starts where there are 2 cores", async () => {
  const n = await kernelThreadsReady();
  assert.equal(n, kernelThreads());
});

for (const [T, B, I, H] of SHAPES) {
  Deno.test(`lstm wasm kernel: T=${T} B=${B} in=${I} H=${H} equals the tfjs-op LSTM`, async () => {
    const rng = new Rng(T * 1000 + B * 100 + H);
    const base = randomLstmInputs(ops, rng, T, B, I, H);
    const weights = randomNormal(ops, rng, [T, B, H], 1);
    const names = ["x", "wIh", "wHh", "bIh", "bHh"] as const;
    const args = names.map((n) => base[n] as Tensor);
    const withArgs = (a: Tensor[]) =>
      ({ ...base, ...Object.fromEntries(names.map((n, k) => [n, a[k]])) }) as LstmInputs;
    for (
      const [what, fast, plain] of [
        ["y", lstmWasm(ops, base).y, lstmGeneric(ops, base).y],
        ["h", lstmWasm(ops, base).h, lstmGeneric(ops, base).h],
        ["c", lstmWasm(ops, base).c, lstmGeneric(ops, base).c],
      ] as const
    ) {
      const e = relError(await fast.data() as Float32Array, await plain.data() as Float32Array);
      assert.ok(e <= 1e-4, `${what}: relative error ${e}`);
    }
    const loss = (kernel: typeof lstmWasm) => (...a: Tensor[]) =>
      ops.sum(ops.mul(kernel(ops, withArgs(a)).y, weights));
    const fast = ops.grads(loss(lstmWasm))(args);
    const plain = ops.grads(loss(lstmGeneric))(args);
    for (let k = 0; k < names.length; k++) {
      const e = relError(
        await fast[k].data() as Float32Array,
        await plain[k].data() as Float32Array,
      );
      assert.ok(e <= 1e-4, `d${names[k]}: relative error ${e}`);
    }
  });
}

Deno.test("lstm wasm kernel: which shapes run on two threads", () => {
  assert.ok(forwardWork(2, 4, 1, 8, 512) >= 1 << 22); // matrix-vector, 1M a step
  assert.ok(forwardWork(2, 16, 6, 24, 210) >= 1 << 22); // hidden units split
  assert.ok(forwardWork(2, 32, 16, 20, 44) >= 1 << 22); // batch rows split
  assert.equal(forwardWork(2, 70, 1, 256, 256), 0); // small preset batch 1: one thread
});

Deno.test("lstm wasm kernel: extreme pre-activations saturate without NaN", async () => {
  const [T, B, I, H] = [3, 2, 4, 8];
  const big = (shape: number[], v: number) => ops.fill(shape, v);
  const inputs: LstmInputs = {
    x: big([T, B, I], 50) as Tensor3D,
    h0: ops.zeros([B, H]),
    c0: ops.zeros([B, H]),
    wIh: big([4 * H, I], 10) as Tensor2D,
    wHh: big([4 * H, H], -10) as Tensor2D,
    bIh: ops.zeros([4 * H]),
    bHh: ops.zeros([4 * H]),
  };
  const a = await lstmWasm(ops, inputs).y.data();
  const b = await lstmGeneric(ops, inputs).y.data();
  assert.ok(a.every(Number.isFinite));
  assert.ok(relError(a as Float32Array, b as Float32Array) <= 1e-4);
});

// exp clamps its argument with one-instruction pseudo-min/max (f32x4.pmin/pmax),
// whose operand order decides whether a NaN survives: a broken weight must show,
// not be clamped into a plausible state.
Deno.test("lstm wasm kernel: a NaN input reaches the outputs of its row only", async () => {
  const [T, B, I, H] = [2, 2, 3, 8];
  const x = new Float32Array(T * B * I).fill(0.5);
  x[0] = NaN; // step 0, batch row 0
  const inputs: LstmInputs = {
    x: ops.tensor(x, [T, B, I]) as Tensor3D,
    h0: ops.zeros([B, H]),
    c0: ops.zeros([B, H]),
    wIh: ops.fill([4 * H, I], 0.1) as Tensor2D,
    wHh: ops.fill([4 * H, H], 0.1) as Tensor2D,
    bIh: ops.zeros([4 * H]),
    bHh: ops.zeros([4 * H]),
  };
  const y = await lstmWasm(ops, inputs).y.data();
  for (let t = 0; t < T; t++) {
    const row0 = y.slice((t * B) * H, (t * B + 1) * H),
      row1 = y.slice((t * B + 1) * H, (t * B + 2) * H);
    assert.ok(row0.every(Number.isNaN), `step ${t}, row 0: ${row0}`);
    assert.ok(row1.every(Number.isFinite), `step ${t}, row 1: ${row1}`);
  }
});

Deno.test("wasm kernels: the embedded module was built from the committed kernels.c", async () => {
  const parts = await Promise.all(
    ["kernels.c", "kernels_q8.c"].map((f) =>
      Deno.readFile(new URL(`./wasm/${f}`, import.meta.url))
    ),
  );
  const source = new Uint8Array(parts[0].length + parts[1].length);
  source.set(parts[0]), source.set(parts[1], parts[0].length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", source));
  const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 16);
  assert.equal(
    hex,
    KERNELS_SOURCE_SHA256,
    "kernels.c or kernels_q8.c changed since kernels_wasm.ts was built: run shared/ops/wasm/build.sh",
  );
});
