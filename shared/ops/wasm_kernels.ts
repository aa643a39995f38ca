/**
 * Kernels the tfjs wasm backend lacks, written in plain JavaScript over the
 * wasm heap. Registered once by {@linkcode registerWasmKernels}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { decoderLossWasm, registerDecoderLossWasmKernels } from "./decoder_loss_wasm.ts";
import { lstmWasm, registerLstmWasmKernels } from "./lstm_wasm.ts";
import { registerDecoderLossKernel, registerLstmKernel } from "./ops.ts";

// The wasm backend's own object: only the two heap helpers are used here.
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

let registered = false;

/**
 * Whether fitlam's own wasm SIMD kernels are on: yes unless the environment
 * sets `FITLAM_WASM_KERNELS=0` (then the LSTM and the decoder loss run on
 * plain tfjs ops).
 */
export function fitlamWasmKernelsEnabled(): boolean {
  try {
    // Ask only when already allowed: never prompt for it.
    const name = "FITLAM_WASM_KERNELS";
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return true;
    }
    return Deno.env.get(name) !== "0";
  } catch {
    return true; // no Deno permissions API: keep the default
  }
}

/**
 * Registers fitlam's LSTM kernels (see lstm_wasm.ts) unless
 * `FITLAM_WASM_KERNELS=0`, and `UnsortedSegmentSum` (the gradient of `gather`, i.e. of every
 * embedding lookup) for the wasm backend, which ships none.
 *
 * @example
 * ```ts
 * import { registerWasmKernels } from "./wasm_kernels.ts";
 * registerWasmKernels(); // safe to call more than once
 * ```
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  registerLstmWasmKernels();
  registerDecoderLossWasmKernels();
  if (fitlamWasmKernelsEnabled()) {
    registerLstmKernel("wasm", lstmWasm);
    registerDecoderLossKernel("wasm", decoderLossWasm);
  }
  if (tf.getKernel("UnsortedSegmentSum", "wasm")) return;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const wasm = backend as unknown as WasmBackendLike;
      const rows = x.shape[0];
      const inner = x.shape.slice(1).reduce((a, b) => a * b, 1);
      // Allocate first: growing the heap detaches earlier views of it.
      const out = wasm.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
      const outVals = wasm.typedArrayFromHeap(out);
      const xVals = wasm.typedArrayFromHeap(x);
      const ids = wasm.typedArrayFromHeap(segmentIds);
      outVals.fill(0);
      for (let r = 0; r < rows; r++) {
        const s = ids[r];
        if (s < 0 || s >= numSegments) continue;
        const src = r * inner;
        const dst = s * inner;
        for (let k = 0; k < inner; k++) outVals[dst + k] += xVals[src + k];
      }
      return out;
    },
  });
}
