/**
 * The tied-decoder cross-entropy on the tfjs wasm backend in fitlam's own
 * kernels (kernels.c `xent_*`): logits are made 64 rows at a time on every
 * thread, never as a whole [N, V]; the forward pass keeps each row's
 * log-sum-exp, the backward pass makes the logits again and forms dh, dW
 * and db from them. Same value and gradients as
 * {@linkcode decoderLossGeneric}.
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
  kernels,
  TASK_XENT_BACKWARD,
  TASK_XENT_FORWARD,
  type WasmBackendLike,
} from "./wasm/pool.ts";

/** Kernel names registered with tfjs for the wasm backend. */
export const XENT_FORWARD_KERNEL = "FitlamXentForward";
/** See {@linkcode XENT_FORWARD_KERNEL}. */
export const XENT_BACKWARD_KERNEL = "FitlamXentBackward";

const CHUNK = 64; // XENT_CHUNK in kernels.c

function checkInputs(name: string, ins: Record<string, TensorInfo>) {
  for (const [k, t] of Object.entries(ins)) {
    const want = k === "targets" ? "int32" : "float32";
    if (t.dtype !== want) {
      throw new Error(`Cannot run ${name}: input ${k} is ${t.dtype}, not ${want}`);
    }
  }
}

let registered = false;

/**
 * Registers the forward and backward cross-entropy kernels for the wasm
 * backend (once).
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
    kernelFunc: ({ inputs, backend }) => {
      const ins = inputs as Record<string, TensorInfo>;
      checkInputs(XENT_FORWARD_KERNEL, ins);
      const { h, weight, bias, targets } = ins;
      const [N, E] = h.shape, V = weight.shape[0];
      const b = backend as unknown as WasmBackendLike;
      const p = kernels();
      try {
        const [hO, wO, bO, tO] = copyIn(p, b, [h, weight, bias, targets]);
        const wT = p.alloc(V * E), scratch = p.alloc(p.threads * CHUNK * V);
        const lse = p.alloc(N), partial = p.alloc(p.threads);
        p.f32(partial, p.threads).fill(0);
        p.run(
          TASK_XENT_FORWARD,
          [N, V, E, hO, wO, bO, tO, wT, scratch, lse, partial],
          N * V * E,
          E,
        );
        const total = p.f32(partial, p.threads).reduce((a, x) => a + x, 0);
        const [lseOut] = copyOut(p, b, [[N]], [lse]);
        const loss = b.makeOutput([], "float32");
        b.typedArrayFromHeap(loss)[0] = total / N;
        return [loss, lseOut];
      } finally {
        p.top = HEAP_BASE;
      }
    },
  });
  tf.registerKernel({
    kernelName: XENT_BACKWARD_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend }) => {
      const ins = inputs as Record<string, TensorInfo>;
      const { dy, h, weight, bias, targets, lse } = ins;
      checkInputs(XENT_BACKWARD_KERNEL, { h, weight, bias, targets, lse, dy });
      const [N, E] = h.shape, V = weight.shape[0];
      const b = backend as unknown as WasmBackendLike;
      const scale = new Float32Array([b.typedArrayFromHeap(dy)[0] / N]);
      const p = kernels();
      try {
        const [hO, wO, bO, tO, lO] = copyIn(p, b, [h, weight, bias, targets, lse]);
        const wT = p.alloc(V * E), scratch = p.alloc(p.threads * CHUNK * V);
        const acc = p.alloc(Math.max(1, p.threads - 1) * (V * E + V));
        const shapes = [[N, E], [V, E], [V]];
        const [dh, dw, db] = shapes.map(([r, c]) => p.alloc(r * (c ?? 1)));
        const scaleBits = new Int32Array(scale.buffer)[0];
        p.run(
          TASK_XENT_BACKWARD,
          [N, V, E, hO, wO, bO, tO, lO, 0, scaleBits, wT, scratch, acc, dh, dw, db],
          3 * N * V * E,
          Math.max(E, V, CHUNK),
        );
        return copyOut(p, b, shapes, [dh, dw, db]);
      } finally {
        p.top = HEAP_BASE;
      }
    },
  });
}

/**
 * The fused decoder loss on fitlam's wasm kernels (registered by
 * `registerWasmKernels`). `chunkRows` is not needed: the kernels never hold
 * more than 64 rows of logits per thread.
 */
export function decoderLossWasm(ops: Ops, inputs: DecoderLossInputs): Scalar {
  const engine = tf.engine();
  const { targets } = inputs;
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((h: Tensor, weight: Tensor, bias: Tensor, save: any) => {
      const [loss, lse] = engine.runKernel(
        XENT_FORWARD_KERNEL,
        { h, weight, bias, targets } as never,
        {} as never,
      ) as Tensor[];
      save([h, weight, bias, targets, lse]);
      return {
        value: loss,
        gradFunc: (dy: Tensor, saved: Tensor[]) => {
          const [hS, wS, bS, tS, lS] = saved;
          return engine.runKernel(
            XENT_BACKWARD_KERNEL,
            { dy, h: hS, weight: wS, bias: bS, targets: tS, lse: lS } as never,
            {} as never,
          ) as Tensor[];
        },
      };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  return run(inputs.h, inputs.weight, inputs.bias) as Scalar;
}
