/**
 * The LSTM layer on the tfjs wasm backend in fitlam's own WebAssembly SIMD
 * kernels (shared/ops/wasm/kernels.c): one kernel call runs a layer forward
 * over all T steps (input projection, h·W_hhᵀ, cell update), one runs it
 * backward (time loop, then dx and the weight gradients as single products).
 * The kernels run on a shared memory of their own, on `FITLAM_THREADS`
 * threads (default: 2, or 1 on a single core): the caller plus worker
 * threads that each own a range of hidden units, with one barrier a step.
 * Tensors are copied in and out (a few percent of the time). Same inputs,
 * outputs and gradients as {@linkcode lstmGeneric}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, TensorInfo } from "@tensorflow/tfjs";
import type { LstmInputs, LstmOutputs } from "./lstm.ts";
import type { Ops } from "./ops.ts";
import {
  checkFloat,
  copyIn,
  copyOut,
  forwardWork,
  HEAP_BASE,
  kernels,
  sizeOf,
  TASK_LSTM_BACKWARD,
  TASK_LSTM_FORWARD,
  type WasmBackendLike,
} from "./wasm/pool.ts";

export { forwardWork };

/** Kernel names registered with tfjs for the wasm backend. */
export const LSTM_FORWARD_KERNEL = "FitlamLstmForward";
/** See {@linkcode LSTM_FORWARD_KERNEL}. */
export const LSTM_BACKWARD_KERNEL = "FitlamLstmBackward";

let registered = false;

/** Sizes; `inference`: the forward kernel returns only [ys, hT, cT]. */
type Dims = { T: number; B: number; nIn: number; H: number; inference?: boolean };

/**
 * Registers the forward and backward LSTM kernels for the wasm backend
 * (once). `tf.engine().runKernel` then runs them like any tfjs kernel.
 *
 * @example
 * ```ts
 * import { registerLstmWasmKernels } from "./lstm_wasm.ts";
 * registerLstmWasmKernels(); // safe to call more than once
 * ```
 */
export function registerLstmWasmKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: LSTM_FORWARD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins = inputs as Record<string, TensorInfo>;
      checkFloat(LSTM_FORWARD_KERNEL, ins);
      const { x, wIh, wHh, bIh, bHh, h0, c0 } = ins;
      const { T, B, nIn, H, inference } = attrs as unknown as Dims;
      const b = backend as unknown as WasmBackendLike;
      const p = kernels();
      const G = 4 * H;
      const inOffs = copyIn(p, b, [x, wIh, wHh, bIh, bHh, h0, c0]);
      const shapes = [[T, B, G], [T, B, H], [T, B, H], [B, H], [B, H]];
      const scratch = p.alloc(4 * ((H + 7) & ~7) * (nIn + H + 1)); // packed weights, biases
      const outOffs = shapes.map((s) => p.alloc(sizeOf(s)));
      try {
        p.run(
          TASK_LSTM_FORWARD,
          [T, B, nIn, H, ...inOffs, scratch, ...outOffs],
          forwardWork(p.threads, T, B, nIn, H),
        );
        // Inference needs neither the gates nor the cells (the backward pass does).
        const keep = inference ? [1, 3, 4] : [0, 1, 2, 3, 4];
        return copyOut(p, b, keep.map((i) => shapes[i]), keep.map((i) => outOffs[i]));
      } finally {
        p.top = HEAP_BASE;
      }
    },
  });
  tf.registerKernel({
    kernelName: LSTM_BACKWARD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins = inputs as Record<string, TensorInfo>;
      checkFloat(LSTM_BACKWARD_KERNEL, ins);
      const { dy, x, wIh, wHh, ys, gates, cs, h0, c0 } = ins;
      const { T, B, nIn, H } = attrs as unknown as Dims;
      const b = backend as unknown as WasmBackendLike;
      const p = kernels();
      const G = 4 * H;
      const inOffs = copyIn(p, b, [dy, x, wIh, wHh, ys, gates, cs, h0, c0]);
      const dz = p.alloc(T * B * G), dh = p.alloc(B * H), dc = p.alloc(B * H);
      const shapes = [[T, B, nIn], [G, nIn], [G, H], [G]];
      const outOffs = shapes.map((s) => p.alloc(sizeOf(s)));
      try {
        p.run(
          TASK_LSTM_BACKWARD,
          [T, B, nIn, H, ...inOffs, dz, dh, dc, ...outOffs],
          T * B * G * (2 * nIn + 2 * H),
          Math.max(G, T * B),
        );
        return copyOut(p, b, shapes, outOffs);
      } finally {
        p.top = HEAP_BASE;
      }
    },
  });
}

/**
 * The LSTM layer op on fitlam's wasm kernels (register them first with
 * {@linkcode registerLstmWasmKernels}; `registerWasmKernels` does). Outside
 * any gradient scope (inference) it runs the forward kernel alone.
 */
export function lstmWasm(ops: Ops, inputs: LstmInputs): LstmOutputs {
  const { x, h0, c0 } = inputs;
  const [T, B, nIn] = x.shape;
  const H = inputs.wHh.shape[1];
  if (T < 1) throw new Error("Cannot run the LSTM layer: the sequence is empty (T = 0)");
  const engine = tf.engine();
  const attrs: Dims = { T, B, nIn, H };
  const forward = (xIn: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor, a = attrs) =>
    engine.runKernel(
      LSTM_FORWARD_KERNEL,
      { x: xIn, wIh, wHh, bIh, bHh, h0, c0 } as never,
      a as never,
    ) as Tensor[];
  // deno-lint-ignore no-explicit-any
  const tapeOn = (engine as any).isTapeOn?.() ?? true;
  if (!tapeOn) {
    const { wIh, wHh, bIh, bHh } = inputs;
    const [ys, hT, cT] = forward(x, wIh, wHh, bIh, bHh, { ...attrs, inference: true });
    return { y: ys as Tensor3D, h: hT as Tensor2D, c: cT as Tensor2D };
  }
  let last: Tensor[] = [];
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((xIn: Tensor3D, wIh: Tensor2D, wHh: Tensor2D, bIh: Tensor1D, bHh: Tensor1D, save: any) => {
      const [gates, ys, cells, hT, cT] = forward(xIn, wIh, wHh, bIh, bHh);
      // The final state leaves the op's scope by hand (it is detached anyway).
      last = [ops.keep(hT), ops.keep(cT)];
      save([xIn, wIh, wHh, ys, cells, gates, h0, c0]);
      return {
        value: ys,
        gradFunc: (dy: Tensor, saved: Tensor[]) => backwardWasm(dy, saved),
      };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  const y = run(x, inputs.wIh, inputs.wHh, inputs.bIh, inputs.bHh) as Tensor3D;
  const h = ops.clone(last[0]) as Tensor2D, c = ops.clone(last[1]) as Tensor2D;
  ops.dispose(last);
  return { y, h, c };
}

function backwardWasm(dy: Tensor, saved: Tensor[]): Tensor[] {
  const [x, wIh, wHh, ys, cells, gates, h0, c0] = saved;
  const [T, B, nIn] = x.shape;
  const H = wHh.shape[1];
  const [dx, dWih, dWhh, dBias] = tf.engine().runKernel(
    LSTM_BACKWARD_KERNEL,
    { dy, x, wIh, wHh, ys, gates, cs: cells, h0, c0 } as never,
    { T, B, nIn, H } as never,
  ) as Tensor[];
  return [dx, dWih, dWhh, dBias, tf.clone(dBias)];
}
