/**
 * The LSTM layer on the tfjs wasm backend with its time loop in fitlam's own
 * WebAssembly SIMD kernels (shared/ops/wasm/kernels.c), which run directly
 * on the tfjs heap: one kernel call runs all T steps forward (h·W_hhᵀ and the
 * cell update), one runs them backward. The large products (input
 * projection, weight gradients, dx) stay single tfjs matMuls over the whole
 * sequence. Same inputs, outputs and gradients as {@linkcode lstmGeneric}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, TensorInfo } from "@tensorflow/tfjs";
import type { LstmInputs, LstmOutputs } from "./lstm.ts";
import type { Ops } from "./ops.ts";
import { KERNELS_WASM_BASE64 } from "./wasm/kernels_wasm.ts";

/** Kernel names registered with tfjs for the wasm backend. */
export const LSTM_FORWARD_KERNEL = "FitlamLstmForward";
/** See {@linkcode LSTM_FORWARD_KERNEL}. */
export const LSTM_BACKWARD_KERNEL = "FitlamLstmBackward";

interface KernelExports {
  lstm_forward(...args: number[]): void;
  lstm_backward(...args: number[]): void;
  matmul(M: number, N: number, K: number, a: number, b: number, c: number, acc: number): void;
  matmul_tn(M: number, N: number, K: number, a: number, b: number, c: number, acc: number): void;
}

// The parts of tfjs-backend-wasm's backend object used here.
interface WasmBackendLike {
  wasm: { asm?: { memory?: WebAssembly.Memory }; HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object): boolean;
}

let module: WebAssembly.Module | undefined;
const instances = new WeakMap<object, KernelExports>();

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** fitlam's kernels instantiated on `backend`'s memory (once per backend). */
export function kernelsOf(backend: unknown): KernelExports {
  const b = backend as WasmBackendLike;
  let k = instances.get(b);
  if (k) return k;
  const memory = b.wasm.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error(
      "Cannot run fitlam's wasm kernels: the tfjs wasm backend does not expose its memory; " +
        "set FITLAM_WASM_KERNELS=0 to use the plain tfjs ops",
    );
  }
  module ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
  k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  instances.set(b, k);
  return k;
}

function ptr(b: WasmBackendLike, t: TensorInfo): number {
  const d = b.dataIdMap.get(t.dataId);
  if (!d) throw new Error("Cannot run fitlam's wasm kernel: an input tensor was already freed");
  return d.memoryOffset;
}

function checkFloat(name: string, inputs: Record<string, TensorInfo>) {
  for (const [k, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") {
      throw new Error(`Cannot run ${name}: input ${k} is ${t.dtype}, not float32`);
    }
  }
}

let registered = false;

type Dims = { T: number; B: number; nIn: number; H: number };

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
      const { T, B, nIn, H } = attrs as unknown as Dims;
      const b = backend as unknown as WasmBackendLike;
      const k = kernelsOf(b);
      const G = 4 * H;
      const scratch = b.makeOutput([(nIn + H) * G], "float32");
      const gates = b.makeOutput([T, B, G], "float32");
      const ys = b.makeOutput([T, B, H], "float32");
      const cs = b.makeOutput([T, B, H], "float32");
      const hT = b.makeOutput([B, H], "float32");
      const cT = b.makeOutput([B, H], "float32");
      k.lstm_forward(
        T,
        B,
        nIn,
        H,
        ...[x, wIh, wHh, bIh, bHh, h0, c0, scratch, gates, ys, cs, hT, cT].map((t) => ptr(b, t)),
      );
      b.disposeData(scratch.dataId);
      return [gates, ys, cs, hT, cT];
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
      const k = kernelsOf(b);
      const G = 4 * H;
      const dz = b.makeOutput([T, B, G], "float32");
      const state = b.makeOutput([2, B, H], "float32");
      const dx = b.makeOutput([T, B, nIn], "float32");
      const dWih = b.makeOutput([G, nIn], "float32");
      const dWhh = b.makeOutput([G, H], "float32");
      const dBias = b.makeOutput([G], "float32");
      const s = ptr(b, state);
      k.lstm_backward(
        T,
        B,
        nIn,
        H,
        ...[dy, x, wIh, wHh, ys, gates, cs, h0, c0, dz].map((t) => ptr(b, t)),
        s,
        s + B * H * 4,
        ...[dx, dWih, dWhh, dBias].map((t) => ptr(b, t)),
      );
      b.disposeData(dz.dataId);
      b.disposeData(state.dataId);
      return [dx, dWih, dWhh, dBias];
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
  const forward = (xIn: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor) =>
    engine.runKernel(
      LSTM_FORWARD_KERNEL,
      { x: xIn, wIh, wHh, bIh, bHh, h0, c0 } as never,
      attrs as never,
    ) as Tensor[];
  // deno-lint-ignore no-explicit-any
  const tapeOn = (engine as any).isTapeOn?.() ?? true;
  if (!tapeOn) {
    const [gates, ys, cells, hT, cT] = forward(x, inputs.wIh, inputs.wHh, inputs.bIh, inputs.bHh);
    ops.dispose([gates, cells]);
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
