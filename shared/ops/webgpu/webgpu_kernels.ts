/**
 * fitlam's own WGSL kernels for the tfjs webgpu backend, registered once by
 * {@linkcode registerWebgpuKernels} (shared/backend.ts calls it when it starts
 * webgpu).
 *
 * @module
 */
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "@tensorflow/tfjs";
import { lstmGeneric, type LstmInputs } from "../lstm.ts";
import { type Ops, registerLstmKernel } from "../ops.ts";
import { lstmWebgpu, registerLstmWebgpuKernels } from "./lstm_webgpu.ts";

/**
 * Whether fitlam's WGSL kernels are on: yes unless the environment sets
 * `FITLAM_WEBGPU_KERNELS=0` (then the LSTM runs on plain tfjs ops, many small
 * dispatches a step).
 */
export function fitlamWebgpuKernelsEnabled(): boolean {
  try {
    // Ask only when already allowed: never prompt for it.
    const name = "FITLAM_WEBGPU_KERNELS";
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") {
      return true;
    }
    return Deno.env.get(name) !== "0";
  } catch {
    return true; // no Deno permissions API: keep the default
  }
}

let registered = false;

/**
 * Registers the WGSL LSTM step kernels with tfjs and, unless
 * `FITLAM_WEBGPU_KERNELS=0`, makes them the webgpu implementation of
 * `ops.lstm`.
 *
 * @example
 * ```ts
 * import { registerWebgpuKernels } from "./webgpu_kernels.ts";
 * registerWebgpuKernels(); // safe to call more than once
 * ```
 */
export function registerWebgpuKernels(): void {
  if (registered) return;
  registered = true;
  registerLstmWebgpuKernels();
  if (fitlamWebgpuKernelsEnabled()) registerLstmKernel("webgpu", lstmWebgpu);
}

/**
 * Runs the WGSL LSTM once, forward and backward, on a tiny layer against the
 * plain tfjs-op LSTM; where they differ (a driver that rejected a shader
 * leaves its output unwritten, silently) it puts the plain path back and
 * returns false. Call after {@linkcode registerWebgpuKernels} on the webgpu
 * ops; a no-op returning true where the kernels are off.
 */
export async function verifyWebgpuKernels(ops: Ops): Promise<boolean> {
  if (!registered || !fitlamWebgpuKernelsEnabled()) return true;
  const [T, B, nIn, H] = [3, 2, 3, 5];
  const value = (shape: number[], seed: number) =>
    ops.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) =>
        0.5 * Math.sin(seed + 1.7 * i)),
      shape,
    );
  const outs = ops.tidy(() => {
    const base: LstmInputs = {
      x: value([T, B, nIn], 1) as Tensor3D,
      h0: value([B, H], 2) as Tensor2D,
      c0: value([B, H], 3) as Tensor2D,
      wIh: value([4 * H, nIn], 4) as Tensor2D,
      wHh: value([4 * H, H], 5) as Tensor2D,
      bIh: value([4 * H], 6) as Tensor1D,
      bHh: value([4 * H], 7) as Tensor1D,
    };
    const weights = value([T, B, H], 8);
    return [lstmWebgpu, lstmGeneric].map((kernel) => {
      const f = (x: Tensor, wHh: Tensor) =>
        ops.sum(
          ops.mul(kernel(ops, { ...base, x: x as Tensor3D, wHh: wHh as Tensor2D }).y, weights),
        );
      const [dx, dWhh] = ops.grads(f)([base.x, base.wHh]);
      return ops.concat([
        ops.reshape(kernel(ops, base).y, [-1]),
        ops.reshape(dx, [-1]),
        ops.reshape(dWhh, [-1]),
      ]);
    });
  });
  const [fast, plain] = await Promise.all(outs.map((t) => t.data()));
  ops.dispose(outs);
  let diff = 0, scale = 1e-6;
  for (let i = 0; i < plain.length; i++) {
    diff = Math.max(diff, Math.abs(fast[i] - plain[i]));
    scale = Math.max(scale, Math.abs(plain[i]));
  }
  if (diff <= 1e-4 * scale) return true;
  registerLstmKernel("webgpu", lstmGeneric);
  console.warn(
    `fitlam: the WebGPU LSTM kernels disagree with the plain path on this adapter ` +
      `(relative error ${(diff / scale).toExponential(2)}); using the plain path`,
  );
  return false;
}
