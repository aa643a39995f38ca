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
  lstm_forward(
    T: number,
    B: number,
    H: number,
    pre: number,
    wT: number,
    h0: number,
    c0: number,
    gates: number,
    ys: number,
    cs: number,
  ): void;
  lstm_backward(
    T: number,
    B: number,
    H: number,
    dy: number,
    gates: number,
    cs: number,
    c0: number,
    w: number,
    dz: number,
    dh: number,
    dc: number,
  ): void;
  matmul(M: number, N: number, K: number, a: number, b: number, c: number, acc: number): void;
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
      const { pre, wT, h0, c0 } = inputs as Record<string, TensorInfo>;
      checkFloat(LSTM_FORWARD_KERNEL, { pre, wT, h0, c0 });
      const { T, B, H } = attrs as unknown as { T: number; B: number; H: number };
      const b = backend as unknown as WasmBackendLike;
      const k = kernelsOf(b);
      const gates = b.makeOutput([T, B, 4 * H], "float32");
      const ys = b.makeOutput([T, B, H], "float32");
      const cs = b.makeOutput([T, B, H], "float32");
      k.lstm_forward(
        T,
        B,
        H,
        ptr(b, pre),
        ptr(b, wT),
        ptr(b, h0),
        ptr(b, c0),
        ptr(b, gates),
        ptr(b, ys),
        ptr(b, cs),
      );
      return [gates, ys, cs];
    },
  });
  tf.registerKernel({
    kernelName: LSTM_BACKWARD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, gates, cs, c0, w } = inputs as Record<string, TensorInfo>;
      checkFloat(LSTM_BACKWARD_KERNEL, { dy, gates, cs, c0, w });
      const { T, B, H } = attrs as unknown as { T: number; B: number; H: number };
      const b = backend as unknown as WasmBackendLike;
      const k = kernelsOf(b);
      const dz = b.makeOutput([T, B, 4 * H], "float32");
      const scratch = b.makeOutput([2, B, H], "float32");
      const s = ptr(b, scratch);
      k.lstm_backward(
        T,
        B,
        H,
        ptr(b, dy),
        ptr(b, gates),
        ptr(b, cs),
        ptr(b, c0),
        ptr(b, w),
        ptr(b, dz),
        s,
        s + B * H * 4,
      );
      b.disposeData(scratch.dataId);
      return dz;
    },
  });
}

/**
 * The LSTM layer op on fitlam's wasm kernels (register them first with
 * {@linkcode registerLstmWasmKernels}; `registerWasmKernels` does).
 */
export function lstmWasm(ops: Ops, inputs: LstmInputs): LstmOutputs {
  const { x, h0, c0 } = inputs;
  const [T, B] = x.shape;
  const H = inputs.wHh.shape[1];
  if (T < 1) throw new Error("Cannot run the LSTM layer: the sequence is empty (T = 0)");
  const engine = tf.engine();
  const attrs = { T, B, H };
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((xIn: Tensor3D, wIh: Tensor2D, wHh: Tensor2D, bIh: Tensor1D, bHh: Tensor1D, save: any) => {
      const nIn = xIn.shape[2];
      const pre = ops.add(
        ops.matMul(ops.reshape(xIn, [T * B, nIn]), ops.transpose(wIh)),
        ops.add(bIh, bHh),
      );
      const wT = ops.transpose(wHh);
      const [gates, ys, cells] = engine.runKernel(
        LSTM_FORWARD_KERNEL,
        { pre, wT, h0, c0 } as never,
        attrs as never,
      ) as Tensor[];
      save([xIn, wIh, wHh, ys, cells, gates, h0, c0]);
      const last = ops.slice(ys, [T - 1, 0, 0], [1, B, H]);
      const lastC = ops.slice(cells, [T - 1, 0, 0], [1, B, H]);
      const packed = ops.concat([ys, last, lastC], 0);
      return {
        value: packed,
        gradFunc: (dy: Tensor, saved: Tensor[]) => backwardWasm(ops, dy, saved),
      };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  const packed = run(x, inputs.wIh, inputs.wHh, inputs.bIh, inputs.bHh) as Tensor3D;
  const y = ops.slice(packed, [0, 0, 0], [T, B, H]) as Tensor3D;
  const h = ops.reshape(ops.slice(packed, [T, 0, 0], [1, B, H]), [B, H]) as Tensor2D;
  const c = ops.reshape(ops.slice(packed, [T + 1, 0, 0], [1, B, H]), [B, H]) as Tensor2D;
  return { y, h, c };
}

function backwardWasm(ops: Ops, dy: Tensor, saved: Tensor[]): Tensor[] {
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
  // The kernel reads the first T·B·H values of dy: the gradients of h_T and
  // c_T packed after them are ignored (the state is detached).
  const dz = tf.engine().runKernel(
    LSTM_BACKWARD_KERNEL,
    { dy, gates, cs: cells, c0, w: wHh } as never,
    { T, B, H } as never,
  ) as Tensor;
  const dZ = ops.reshape(dz, [T * B, 4 * H]) as Tensor2D;
  const dZt = ops.transpose(dZ);
  const dWih = ops.matMul(dZt, ops.reshape(x, [T * B, nIn]));
  const hPrev = T > 1
    ? ops.concat([ops.expandDims(h0, 0), ops.slice(ys, [0, 0, 0], [T - 1, B, H])], 0)
    : ops.expandDims(h0, 0);
  const dWhh = ops.matMul(dZt, ops.reshape(hPrev, [T * B, H]));
  const dBias = ops.sum(dZ, 0);
  const dx = ops.reshape(ops.matMul(dZ, wIh), [T, B, nIn]);
  return [dx, dWih, dWhh, dBias, ops.clone(dBias)];
}
