/**
 * One LSTM layer over a whole sequence as a single op with a hand-derived
 * gradient (gate order i, f, g, o as in PyTorch's nn.LSTM). Faster
 * per-backend kernels can replace {@linkcode lstmGeneric} through
 * `registerLstmKernel` without the model changing.
 *
 * @module
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import type { TfOps } from "./tf_ops.ts";

/** Inputs of one LSTM layer; weights in PyTorch layout. */
export interface LstmInputs {
  /** Inputs, time-major: [T, B, nIn]. */
  x: Tensor3D;
  /** Initial hidden state [B, H]; treated as a constant (no gradient flows into it). */
  h0: Tensor2D;
  /** Initial cell state [B, H]; treated as a constant. */
  c0: Tensor2D;
  /** Input-to-hidden weights [4H, nIn]. */
  wIh: Tensor2D;
  /** Hidden-to-hidden weights [4H, H] (already weight-dropped, if training). */
  wHh: Tensor2D;
  /** Input bias [4H]. */
  bIh: Tensor1D;
  /** Hidden bias [4H]. */
  bHh: Tensor1D;
}

/** Outputs of one LSTM layer. */
export interface LstmOutputs {
  /** Hidden state at every step, [T, B, H]; gradients flow back through it. */
  y: Tensor3D;
  /** Final hidden state [B, H], detached (for carrying state across batches). */
  h: Tensor2D;
  /** Final cell state [B, H], detached. */
  c: Tensor2D;
}

/**
 * The reference LSTM kernel, built from tfjs ops: the input projection of all
 * steps is one matrix product; only h·W_hhᵀ runs inside the time loop; the
 * backward pass walks the steps once and forms the weight gradients as single
 * products over the whole sequence. Returns h_T and c_T detached, as AWD-LSTM
 * detaches its state between batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import * as tf from "@tensorflow/tfjs";
 * import { createOps } from "./ops.ts";
 * import { lstmGeneric } from "./lstm.ts";
 * await tf.setBackend("cpu");
 * const ops = createOps(tf, "cpu");
 * const [T, B, I, H] = [3, 2, 4, 5];
 * const out = lstmGeneric(ops, {
 *   x: tf.randomNormal([T, B, I]), h0: tf.zeros([B, H]), c0: tf.zeros([B, H]),
 *   wIh: tf.randomNormal([4 * H, I]), wHh: tf.randomNormal([4 * H, H]),
 *   bIh: tf.zeros([4 * H]), bHh: tf.zeros([4 * H]),
 * });
 * assert.equal(out.y.shape.join(), "3,2,5");
 * ```
 */
export function lstmGeneric(ops: TfOps, inputs: LstmInputs): LstmOutputs {
  const { x, h0, c0 } = inputs;
  const [T, B] = x.shape;
  const H = inputs.wHh.shape[1];
  if (T < 1) throw new Error("Cannot run the LSTM layer: the sequence is empty (T = 0)");
  // Rows 0..T-1 of the packed output are h_1..h_T; row T is h_T and row T+1
  // is c_T, whose incoming gradients are ignored (the state is detached).
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((xIn: Tensor3D, wIh: Tensor2D, wHh: Tensor2D, bIh: Tensor1D, bHh: Tensor1D, save: any) => {
      const nIn = xIn.shape[2];
      const wIhT = ops.transpose(wIh);
      const wHhT = ops.transpose(wHh);
      const projected = ops.reshape(
        ops.add(ops.matMul(ops.reshape(xIn, [T * B, nIn]), wIhT), ops.add(bIh, bHh)),
        [T, B, 4 * H],
      );
      const steps = ops.unstack(projected) as Tensor2D[];
      let h: Tensor2D = h0;
      let c: Tensor2D = c0;
      const hs: Tensor2D[] = [], cs: Tensor2D[] = [], acts: Tensor2D[] = [];
      for (let t = 0; t < T; t++) {
        const [hNext, cNext, act] = ops.tidy(() => {
          const z = ops.add(steps[t], ops.matMul(h, wHhT));
          const [zi, zf, zg, zo] = ops.split(z, 4, 1);
          const i = ops.sigmoid(zi), f = ops.sigmoid(zf), g = ops.tanh(zg), o = ops.sigmoid(zo);
          const cn = ops.add(ops.mul(f, c), ops.mul(i, g));
          const hn = ops.mul(o, ops.tanh(cn));
          return [hn, cn, ops.concat([i, f, g, o], 1)] as Tensor2D[];
        });
        hs.push(hNext), cs.push(cNext), acts.push(act);
        h = hNext, c = cNext;
      }
      const ys = ops.stack(hs) as Tensor3D;
      const cells = ops.stack(cs) as Tensor3D;
      const gates = ops.stack(acts) as Tensor3D;
      // h0/c0 must be saved too: the forward scope frees tensors not saved.
      save([xIn, wIh, wHh, ys, cells, gates, h0, c0]);
      const packed = ops.concat([ys, ops.stack([h, c])], 0);
      return { value: packed, gradFunc: (dy: Tensor, saved: Tensor[]) => backward(ops, dy, saved) };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  const packed = run(x, inputs.wIh, inputs.wHh, inputs.bIh, inputs.bHh) as Tensor3D;
  const y = ops.slice(packed, [0, 0, 0], [T, B, H]) as Tensor3D;
  const state = ops.slice(packed, [T, 0, 0], [2, B, H]);
  const [h, c] = ops.unstack(state) as Tensor2D[];
  return { y, h, c };
}

function backward(ops: TfOps, dy: Tensor, saved: Tensor[]): Tensor[] {
  const [x, wIh, wHh, ys, cells, gates, h0, c0] = saved as [
    Tensor3D,
    Tensor2D,
    Tensor2D,
    Tensor3D,
    Tensor3D,
    Tensor3D,
    Tensor2D,
    Tensor2D,
  ];
  const [T, B, nIn] = x.shape;
  const H = wHh.shape[1];
  const dys = ops.unstack(ops.slice(dy, [0, 0, 0], [T, B, H])) as Tensor2D[];
  const cellSteps = ops.unstack(cells) as Tensor2D[];
  const gateSteps = ops.unstack(gates) as Tensor2D[];
  let dh = ops.zeros([B, H]) as Tensor2D;
  let dc = ops.zeros([B, H]) as Tensor2D;
  const dzs: Tensor2D[] = new Array(T);
  for (let t = T - 1; t >= 0; t--) {
    const cPrev = t > 0 ? cellSteps[t - 1] : c0;
    const [dz, dhPrev, dcPrev] = ops.tidy(() => {
      const [i, f, g, o] = ops.split(gateSteps[t], 4, 1);
      const dhT = ops.add(dh, dys[t]);
      const tc = ops.tanh(cellSteps[t]);
      const dO = ops.mul(dhT, tc);
      const dcT = ops.add(dc, ops.mul(ops.mul(dhT, o), ops.sub(1, ops.square(tc))));
      const dzi = ops.mul(ops.mul(dcT, g), ops.mul(i, ops.sub(1, i)));
      const dzf = ops.mul(ops.mul(dcT, cPrev), ops.mul(f, ops.sub(1, f)));
      const dzg = ops.mul(ops.mul(dcT, i), ops.sub(1, ops.square(g)));
      const dzo = ops.mul(dO, ops.mul(o, ops.sub(1, o)));
      const dzT = ops.concat([dzi, dzf, dzg, dzo], 1) as Tensor2D;
      return [dzT, ops.matMul(dzT, wHh), ops.mul(dcT, f)] as Tensor2D[];
    });
    ops.dispose([dh, dc]);
    dzs[t] = dz, dh = dhPrev, dc = dcPrev;
  }
  const dZ = ops.reshape(ops.stack(dzs), [T * B, 4 * H]) as Tensor2D;
  const dZt = ops.transpose(dZ);
  const dWih = ops.matMul(dZt, ops.reshape(x, [T * B, nIn]));
  const hPrev = ops.concat([ops.expandDims(h0, 0), ops.slice(ys, [0, 0, 0], [T - 1, B, H])], 0);
  const dWhh = ops.matMul(dZt, ops.reshape(hPrev, [T * B, H]));
  const dBias = ops.sum(dZ, 0);
  const dx = ops.reshape(ops.matMul(dZ, wIh), [T, B, nIn]);
  return [dx, dWih, dWhh, dBias, ops.clone(dBias)];
}
