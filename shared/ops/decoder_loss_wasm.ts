/**
 * The tied-decoder cross-entropy on the tfjs wasm backend in fitlam's own
 * kernels (kernels.c `xent_*`): logits are made 64 rows at a time on every
 * thread, never as a whole [N, V]. Where a gradient is being recorded
 * (training), one kernel makes the logits once and returns the loss with
 * its gradients for dy = 1, which the backward pass scales by dy; making
 * the logits again in a backward pass cost a fifth of a training step.
 * Elsewhere (validation) a kernel returns the loss alone. Same value and
 * gradients as {@linkcode decoderLossGeneric}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Scalar, Tensor, TensorInfo } from "@tensorflow/tfjs";
import type { DecoderLossInputs } from "./decoder_loss.ts";
import type { Ops } from "./ops.ts";
import {
  copyIn,
  copyOut,
  HEAP_BASE,
  type KernelPool,
  kernels,
  TASK_XENT_FORWARD,
  TASK_XENT_TRAIN,
  type WasmBackendLike,
} from "./wasm/pool.ts";

/** Kernel names registered with tfjs for the wasm backend: the loss alone. */
export const XENT_FORWARD_KERNEL = "FitlamXentForward";
/** The loss and its gradients (for dy = 1) in one pass: training's kernel. */
export const XENT_TRAIN_KERNEL = "FitlamXentTrain";

const CHUNK = 64; // XENT_CHUNK in kernels.c

function checkInputs(name: string, ins: Record<string, TensorInfo>) {
  for (const [k, t] of Object.entries(ins)) {
    const want = k === "targets" ? "int32" : "float32";
    if (t.dtype !== want) {
      throw new Error(`Cannot run ${name}: input ${k} is ${t.dtype}, not ${want}`);
    }
  }
}

/** A scalar output holding `value`. */
function scalarOut(b: WasmBackendLike, value: number): TensorInfo {
  const out = b.makeOutput([], "float32");
  b.typedArrayFromHeap(out)[0] = value;
  return out;
}

let registered = false;

/**
 * Registers the cross-entropy kernels for the wasm backend (once).
 *
 * @example
 * ```ts
 * import { registerDecoderLossWasmKernels } from "./decoder_loss_wasm.ts";
 * registerDecoderLossWasmKernels(); // safe to call more than once
 * ```
 */
export function registerDecoderLossWasmKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: XENT_FORWARD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) =>
      xentCall(XENT_FORWARD_KERNEL, inputs, backend, (x) => {
        const { p, N, V, E } = x;
        p.run(TASK_XENT_FORWARD, [N, V, E, ...x.ins, x.wP, x.scratch, x.partial], N * V * E, E);
        return x.loss();
      }),
  });
  tf.registerKernel({
    kernelName: XENT_TRAIN_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) =>
      xentCall(XENT_TRAIN_KERNEL, inputs, backend, (x) => {
        const { p, N, V, E } = x;
        const acc = p.alloc(Math.max(1, p.threads - 1) * (V * E + V));
        const shapes = [[N, E], [V, E], [V]];
        const [dh, dw, db] = shapes.map(([r, c]) => p.alloc(r * (c ?? 1)));
        const scaleBits = new Int32Array(new Float32Array([1 / N]).buffer)[0];
        p.run(
          TASK_XENT_TRAIN,
          [N, V, E, ...x.ins, scaleBits, x.wP, x.scratch, acc, dh, dw, db, x.partial],
          3 * N * V * E,
          Math.max(E, V, CHUNK),
        );
        return [x.loss(), ...copyOut(p, x.b, shapes, [dh, dw, db])];
      }),
  });
}

/** What both kernels have in the kernels' memory while one runs (see {@linkcode xentCall}). */
interface XentCall {
  p: KernelPool;
  b: WasmBackendLike;
  N: number;
  V: number;
  E: number;
  /** Offsets of h, weight, bias and targets. */
  ins: number[];
  /** Room for the packed weights (xent_pack), each thread's logit chunk, each thread's loss sum. */
  wP: number;
  scratch: number;
  partial: number;
  /** The mean loss from the threads' sums, as a scalar output. */
  loss(): TensorInfo;
}

/** Checks and copies in a cross-entropy kernel's inputs and buffers, runs `run`, frees them. */
function xentCall<R>(
  name: string,
  inputs: unknown,
  backend: unknown,
  run: (x: XentCall) => R,
): R {
  const ins = inputs as Record<string, TensorInfo>;
  checkInputs(name, ins);
  const { h, weight, bias, targets } = ins;
  const [N, E] = h.shape, V = weight.shape[0];
  const b = backend as WasmBackendLike;
  const p = kernels();
  try {
    const offsets = copyIn(p, b, [h, weight, bias, targets]);
    const wP = p.alloc(Math.ceil(V / 8) * 8 * E), scratch = p.alloc(p.threads * CHUNK * V);
    const partial = p.alloc(p.threads);
    p.f32(partial, p.threads).fill(0);
    const loss = () => scalarOut(b, p.f32(partial, p.threads).reduce((a, x) => a + x, 0) / N);
    return run({ p, b, N, V, E, ins: offsets, wP, scratch, partial, loss });
  } finally {
    p.top = HEAP_BASE;
  }
}

/**
 * The fused decoder loss on fitlam's wasm kernels (registered by
 * `registerWasmKernels`). `chunkRows` is not needed: the kernels never hold
 * more than 64 rows of logits per thread.
 */
export function decoderLossWasm(ops: Ops, inputs: DecoderLossInputs): Scalar {
  const engine = tf.engine();
  const { h, weight, bias, targets } = inputs;
  if (!engine.isTapeOn()) {
    return engine.runKernel(XENT_FORWARD_KERNEL, { h, weight, bias, targets } as never) as Scalar;
  }
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((h: Tensor, weight: Tensor, bias: Tensor, save: any) => {
      const [loss, ...grads] = engine.runKernel(
        XENT_TRAIN_KERNEL,
        { h, weight, bias, targets } as never,
      ) as Tensor[];
      save(grads);
      return {
        value: loss,
        gradFunc: (dy: Tensor, saved: Tensor[]) => saved.map((g) => tf.mul(g, dy)),
      };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  return run(h, weight, bias) as Scalar;
}
