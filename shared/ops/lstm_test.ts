import assert from "node:assert/strict";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import { initBackend } from "../backend.ts";
import { Rng } from "../rng.ts";
import type { LstmInputs } from "./lstm.ts";

const { ops } = await initBackend("cpu");
const rng = new Rng(11);
const rand = (shape: number[], scale = 1) =>
  ops.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal(0, scale)),
    shape,
  );

const [T, B, I, H] = [4, 2, 3, 5];
const base = {
  x: rand([T, B, I]) as Tensor3D,
  h0: rand([B, H], 0.5) as Tensor2D,
  c0: rand([B, H], 0.5) as Tensor2D,
  wIh: rand([4 * H, I], 0.5) as Tensor2D,
  wHh: rand([4 * H, H], 0.5) as Tensor2D,
  bIh: rand([4 * H], 0.5) as Tensor1D,
  bHh: rand([4 * H], 0.5) as Tensor1D,
};
const weights = rand([T, B, H]);
const argNames = ["x", "wIh", "wHh", "bIh", "bHh"] as const;

function loss(inputs: LstmInputs): Tensor {
  return ops.sum(ops.mul(ops.lstm(inputs).y, weights));
}

/** The same cell written step by step with tfjs autograd. */
function naiveLoss(inputs: LstmInputs): Tensor {
  let h: Tensor = inputs.h0, c: Tensor = inputs.c0;
  const ys: Tensor[] = [];
  for (const xt of ops.unstack(inputs.x)) {
    const z = ops.add(
      ops.add(ops.matMul(xt, ops.transpose(inputs.wIh)), ops.matMul(h, ops.transpose(inputs.wHh))),
      ops.add(inputs.bIh, inputs.bHh),
    );
    const [i, f, g, o] = ops.split(z, 4, 1);
    c = ops.add(ops.mul(ops.sigmoid(f), c), ops.mul(ops.sigmoid(i), ops.tanh(g)));
    h = ops.mul(ops.sigmoid(o), ops.tanh(c));
    ys.push(h);
  }
  return ops.sum(ops.mul(ops.stack(ys), weights));
}

const withArgs = (args: Tensor[]): LstmInputs => ({
  ...base,
  ...Object.fromEntries(argNames.map((n, k) => [n, args[k]])),
} as LstmInputs);
const args = argNames.map((n) => base[n] as Tensor);

Deno.test("lstm op: output and every gradient equal step-by-step autograd", async () => {
  const fused = ops.grads((...a: Tensor[]) => loss(withArgs(a)))(args);
  const naive = ops.grads((...a: Tensor[]) => naiveLoss(withArgs(a)))(args);
  const l1 = (await loss(base).data())[0], l2 = (await naiveLoss(base).data())[0];
  assert.ok(Math.abs(l1 - l2) < 1e-5 * Math.max(1, Math.abs(l2)));
  for (let k = 0; k < args.length; k++) {
    const a = await fused[k].data(), b = await naive[k].data();
    for (let i = 0; i < a.length; i++) {
      assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `${argNames[k]}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  }
});

Deno.test("lstm op: gradients agree with central finite differences", async () => {
  const analytic = ops.grads((...a: Tensor[]) => loss(withArgs(a)))(args);
  const eps = 1e-2;
  for (let k = 0; k < args.length; k++) {
    const data = Float32Array.from(await args[k].data());
    const grad = await analytic[k].data();
    for (const i of [0, Math.floor(data.length / 2), data.length - 1]) {
      const at = async (delta: number) => {
        const d = Float32Array.from(data);
        d[i] += delta;
        const a = args.slice();
        a[k] = ops.tensor(d, args[k].shape);
        return (await loss(withArgs(a)).data())[0];
      };
      const numeric = (await at(eps) - await at(-eps)) / (2 * eps);
      assert.ok(
        Math.abs(numeric - grad[i]) < 2e-3 + 2e-2 * Math.abs(numeric),
        `${argNames[k]}[${i}]: numeric ${numeric}, analytic ${grad[i]}`,
      );
    }
  }
});

Deno.test("lstm op: final state equals the last output; state carries across calls", async () => {
  const whole = ops.lstm(base);
  const yLast = ops.slice(whole.y, [T - 1, 0, 0], [1, B, H]).reshape([B, H]);
  assert.deepEqual(await whole.h.data(), await yLast.data());
  const x1 = ops.slice(base.x, [0, 0, 0], [2, B, I]) as Tensor3D;
  const x2 = ops.slice(base.x, [2, 0, 0], [T - 2, B, I]) as Tensor3D;
  const first = ops.lstm({ ...base, x: x1 });
  const second = ops.lstm({ ...base, x: x2, h0: first.h, c0: first.c });
  const a = await second.y.data();
  const b = await ops.slice(whole.y, [2, 0, 0], [T - 2, B, H]).data();
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
});

Deno.test("lstm op: an empty sequence is refused with a clear error", () => {
  assert.throws(
    () => ops.lstm({ ...base, x: ops.zeros([0, B, I]) as Tensor3D }),
    /Cannot run the LSTM layer: the sequence is empty/,
  );
});
