/**
 * The LSTM layer on the tfjs webgpu backend in fitlam's own WGSL compute
 * shaders. Forward: the input projection of all steps is one tfjs matMul
 * (`x·W_ihᵀ + b_ih + b_hh`, the transpose folded into the product), then ONE
 * dispatch per time step computes `h_{t-1}·W_hhᵀ` plus the projected inputs,
 * the gate nonlinearities and the cell update, and writes the step's gates,
 * cell and hidden state into row t of one preallocated [T, B, 6H] buffer
 * (tfjs-backend-webgpu's `runWebGPUProgram` with an explicit output; the
 * shader reads row t-1 of that same buffer). Backward: one dispatch per step,
 * in reverse, forms `dh_t = dz_{t+1}·W_hh + dy_t`, the cell gradient and the
 * four gate gradients into row t of a [T, B, 5H] buffer; then dx and the
 * weight gradients are single matMuls over the whole sequence. Same inputs,
 * outputs and gradients as `lstmGeneric` (../lstm.ts).
 *
 * Register with {@linkcode registerLstmWebgpuKernels} (shared/backend.ts does,
 * for `--device webgpu`); `FITLAM_WEBGPU_KERNELS=0` keeps the plain tfjs-op
 * path.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DataType, Tensor, Tensor1D, Tensor2D, Tensor3D, TensorInfo } from "@tensorflow/tfjs";
import type { LstmInputs, LstmOutputs } from "../lstm.ts";
import type { Ops } from "../ops.ts";

/** Kernel names registered with tfjs for the webgpu backend. */
export const LSTM_FORWARD_WEBGPU_KERNEL = "FitlamLstmForwardWebgpu";
/** See {@linkcode LSTM_FORWARD_WEBGPU_KERNEL}. */
export const LSTM_BACKWARD_WEBGPU_KERNEL = "FitlamLstmBackwardWebgpu";

/** Threads per workgroup, all along the hidden units. */
const WORKGROUP = 64;
/** Batch rows one thread computes (each weight it loads serves them all). */
const MAX_ROWS = 4;

/** The part of tfjs-backend-webgpu's backend object used here. */
interface WebGpuBackendLike {
  makeTensorInfo(shape: number[], dtype: DataType): TensorInfo;
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: TensorInfo[],
    dtype: DataType,
    uniforms?: { type: "int32"; data: number[] }[],
    output?: TensorInfo,
  ): TensorInfo;
}

/** tfjs-backend-webgpu's program interface (webgpu_program.d.ts, 4.22). */
interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  uniforms: string;
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

/** Sizes passed to both kernels as attributes. */
type Dims = { T: number; B: number; H: number };

// tfjs prepends its own header (bindings `result` and one array per variable
// name, `uniforms`, `globalId`) and calls `main(index)`; every input and the
// uniforms must be referenced, or the 'auto' pipeline layout drops them.
const MATH = `
fn sigm(x : f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanhSafe(x : f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}`;

/**
 * One forward step: thread (j, row block) computes hidden unit j for `rows`
 * batch rows. Output row t of `result` [T, B, 6H] holds, per batch row,
 * the activated gates i, f, g, o (4H), the cell c_t (H) and h_t (H).
 */
function forwardProgram(T: number, B: number, H: number, rows: number): WebGpuProgram {
  return {
    outputShape: [T, B, 6 * H],
    shaderKey: `fitlamLstmForward_${rows}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [Math.ceil(H / WORKGROUP), Math.ceil(B / rows), 1],
    variableNames: ["proj", "wT", "hInit", "cInit"],
    uniforms: "step : i32, batch : i32, hidden : i32,",
    workgroupSize: [WORKGROUP, 1, 1],
    size: false,
    getUserCode: () => `
${MATH}
// Activates the gates of unit j, batch row b (z: pre-activations i, f, g, o)
// and writes them, c_t and h_t into row t.
fn cellUpdate(t : i32, B : i32, H : i32, b : i32, j : i32, zRec : vec4<f32>) {
  let G = 4 * H;
  let S = 6 * H;
  let p = (t * B + b) * G + j;
  let z = zRec + vec4<f32>(proj[p], proj[p + H], proj[p + 2 * H], proj[p + 3 * H]);
  var cPrev : f32;
  if (t > 0) {
    cPrev = result[((t - 1) * B + b) * S + 4 * H + j];
  } else {
    cPrev = cInit[b * H + j];
  }
  let i = sigm(z.x);
  let f = sigm(z.y);
  let g = tanhSafe(z.z);
  let o = sigm(z.w);
  let c = f * cPrev + i * g;
  let o0 = (t * B + b) * S + j;
  result[o0] = i;
  result[o0 + H] = f;
  result[o0 + 2 * H] = g;
  result[o0 + 3 * H] = o;
  result[o0 + 4 * H] = c;
  result[o0 + 5 * H] = o * tanhSafe(c);
}

fn main(index : i32) {
  let t = uniforms.step;
  let B = uniforms.batch;
  let H = uniforms.hidden;
  let j = i32(globalId.x);
  let b0 = i32(globalId.y) * ${rows};
  if (j >= H) { return; }
  let G = 4 * H;
  let S = 6 * H;
  // Rows past the batch (last block) read row B-1 and write nothing.
${
      unroll(rows, (r) =>
        `  let row${r} = min(b0 + ${r}, B - 1);
  var acc${r} = vec4<f32>(0.0);`)
    }
  if (t > 0) {
    let prev = (t - 1) * B * S + 5 * H;
    for (var k = 0; k < H; k++) {
      let wk = k * G + j;
      let w = vec4<f32>(wT[wk], wT[wk + H], wT[wk + 2 * H], wT[wk + 3 * H]);
${unroll(rows, (r) => `      acc${r} += result[prev + row${r} * S + k] * w;`)}
    }
  } else {
    for (var k = 0; k < H; k++) {
      let wk = k * G + j;
      let w = vec4<f32>(wT[wk], wT[wk + H], wT[wk + 2 * H], wT[wk + 3 * H]);
${unroll(rows, (r) => `      acc${r} += hInit[row${r} * H + k] * w;`)}
    }
  }
${unroll(rows, (r) => `  if (b0 + ${r} < B) { cellUpdate(t, B, H, b0 + ${r}, j, acc${r}); }`)}
}
`,
  };
}

/**
 * One backward step (t from T-1 down to 0): thread (k, row block) forms
 * dh_t[b,k] = dy_t[b,k] + Σ_g dz_{t+1}[b,g]·W_hh[g,k], the cell gradient
 * dc_t = dc_{t+1}·f_{t+1} + dh_t·o_t·(1 − tanh² c_t) and the four gate
 * pre-activation gradients of unit k. Output row t of `result` [T, B, 5H]:
 * dz_t (4H) then dc_t (H).
 */
function backwardProgram(T: number, B: number, H: number, rows: number): WebGpuProgram {
  return {
    outputShape: [T, B, 5 * H],
    shaderKey: `fitlamLstmBackward_${rows}`,
    dispatchLayout: { x: [0, 1, 2] },
    dispatch: [Math.ceil(H / WORKGROUP), Math.ceil(B / rows), 1],
    variableNames: ["dy", "w", "fwd", "cInit"],
    uniforms: "step : i32, steps : i32, batch : i32, hidden : i32,",
    workgroupSize: [WORKGROUP, 1, 1],
    size: false,
    getUserCode: () => `
${MATH}
// Gate and cell gradients of unit k, batch row b, given dh_t's recurrent part.
fn cellGrad(t : i32, T : i32, B : i32, H : i32, b : i32, k : i32, dhRec : f32) {
  let S = 6 * H;
  let D = 5 * H;
  let dh = dhRec + dy[(t * B + b) * H + k];
  let row = (t * B + b) * S + k;
  let i = fwd[row];
  let f = fwd[row + H];
  let g = fwd[row + 2 * H];
  let o = fwd[row + 3 * H];
  let tc = tanhSafe(fwd[row + 4 * H]);
  var dc = dh * o * (1.0 - tc * tc);
  if (t < T - 1) {
    dc += result[((t + 1) * B + b) * D + 4 * H + k] * fwd[((t + 1) * B + b) * S + H + k];
  }
  var cPrev : f32;
  if (t > 0) {
    cPrev = fwd[((t - 1) * B + b) * S + 4 * H + k];
  } else {
    cPrev = cInit[b * H + k];
  }
  let o0 = (t * B + b) * D + k;
  result[o0] = dc * g * i * (1.0 - i);
  result[o0 + H] = dc * cPrev * f * (1.0 - f);
  result[o0 + 2 * H] = dc * i * (1.0 - g * g);
  result[o0 + 3 * H] = dh * tc * o * (1.0 - o);
  result[o0 + 4 * H] = dc;
}

fn main(index : i32) {
  let t = uniforms.step;
  let T = uniforms.steps;
  let B = uniforms.batch;
  let H = uniforms.hidden;
  let k = i32(globalId.x);
  let b0 = i32(globalId.y) * ${rows};
  if (k >= H) { return; }
  let G = 4 * H;
  let D = 5 * H;
${
      unroll(rows, (r) =>
        `  let row${r} = min(b0 + ${r}, B - 1);
  var acc${r} = 0.0;`)
    }
  if (t < T - 1) {
    let next = (t + 1) * B * D;
    for (var g = 0; g < G; g++) {
      let wv = w[g * H + k];
${unroll(rows, (r) => `      acc${r} += result[next + row${r} * D + g] * wv;`)}
    }
  }
${unroll(rows, (r) => `  if (b0 + ${r} < B) { cellGrad(t, T, B, H, b0 + ${r}, k, acc${r}); }`)}
}
`,
  };
}

/** `line(r)` for r = 0 … n-1, one per line (the shaders' per-row code, unrolled). */
function unroll(n: number, line: (r: number) => string): string {
  return Array.from({ length: n }, (_, r) => line(r)).join("\n");
}

function checkFloat(kernel: string, inputs: Record<string, TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") {
      throw new Error(`Cannot run ${kernel}: input ${name} is ${t.dtype}, not float32`);
    }
  }
}

let registered = false;

/**
 * Registers the forward and backward LSTM step kernels for the webgpu
 * backend (once). They only run programs; `lstmWebgpu` wraps them.
 *
 * @example
 * ```ts
 * import { registerLstmWebgpuKernels } from "./lstm_webgpu.ts";
 * registerLstmWebgpuKernels(); // safe to call more than once
 * ```
 */
export function registerLstmWebgpuKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: LSTM_FORWARD_WEBGPU_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins = inputs as Record<string, TensorInfo>;
      checkFloat(LSTM_FORWARD_WEBGPU_KERNEL, ins);
      const { proj, wT, h0, c0 } = ins;
      const { T, B, H } = attrs as unknown as Dims;
      const gpu = backend as unknown as WebGpuBackendLike;
      const rows = Math.min(MAX_ROWS, B);
      const out = gpu.makeTensorInfo([T, B, 6 * H], "float32");
      for (let t = 0; t < T; t++) {
        // A fresh program object each step: runWebGPUProgram rewrites its shaderKey.
        gpu.runWebGPUProgram(forwardProgram(T, B, H, rows), [proj, wT, h0, c0], "float32", [
          { type: "int32", data: [t] },
          { type: "int32", data: [B] },
          { type: "int32", data: [H] },
        ], out);
      }
      return out;
    },
  });
  tf.registerKernel({
    kernelName: LSTM_BACKWARD_WEBGPU_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ins = inputs as Record<string, TensorInfo>;
      checkFloat(LSTM_BACKWARD_WEBGPU_KERNEL, ins);
      const { dy, wHh, fwd, c0 } = ins;
      const { T, B, H } = attrs as unknown as Dims;
      const gpu = backend as unknown as WebGpuBackendLike;
      const rows = Math.min(MAX_ROWS, B);
      const out = gpu.makeTensorInfo([T, B, 5 * H], "float32");
      for (let t = T - 1; t >= 0; t--) {
        gpu.runWebGPUProgram(backwardProgram(T, B, H, rows), [dy, wHh, fwd, c0], "float32", [
          { type: "int32", data: [t] },
          { type: "int32", data: [T] },
          { type: "int32", data: [B] },
          { type: "int32", data: [H] },
        ], out);
      }
      return out;
    },
  });
}

/**
 * The LSTM layer op on fitlam's WGSL kernels (register them first with
 * {@linkcode registerLstmWebgpuKernels}). Same contract as
 * `lstmGeneric` (../lstm.ts): h and c come back detached. Outside any gradient
 * scope (inference) it runs the forward steps alone.
 */
export function lstmWebgpu(ops: Ops, inputs: LstmInputs): LstmOutputs {
  const { x, h0, c0 } = inputs;
  const [T, B, nIn] = x.shape;
  const H = inputs.wHh.shape[1];
  if (T < 1) throw new Error("Cannot run the LSTM layer: the sequence is empty (T = 0)");
  const engine = tf.engine();
  const dims: Dims = { T, B, H };
  // Returns the [T, B, 6H] buffer of gates, cells and hidden states.
  const forward = (xIn: Tensor, wIh: Tensor, wHh: Tensor, bIh: Tensor, bHh: Tensor) =>
    ops.tidy(() => {
      const proj = ops.add(
        ops.matMul(ops.reshape(xIn, [T * B, nIn]) as Tensor2D, wIh as Tensor2D, false, true),
        ops.add(bIh, bHh),
      );
      const wT = ops.transpose(wHh); // [H, 4H]: the step shader reads it along rows
      return engine.runKernel(
        LSTM_FORWARD_WEBGPU_KERNEL,
        { proj, wT, h0, c0 } as never,
        dims as never,
      ) as Tensor3D;
    });
  const state = (fwd: Tensor3D, part: number) =>
    ops.reshape(ops.slice(fwd, [T - 1, 0, part * H], [1, B, H]), [B, H]) as Tensor2D;
  // deno-lint-ignore no-explicit-any
  const tapeOn = (engine as any).isTapeOn?.() ?? true;
  if (!tapeOn) {
    const { wIh, wHh, bIh, bHh } = inputs;
    return ops.tidy(() => {
      const fwd = forward(x, wIh, wHh, bIh, bHh);
      return {
        y: ops.slice(fwd, [0, 0, 5 * H], [T, B, H]) as Tensor3D,
        h: state(fwd, 5),
        c: state(fwd, 4),
      };
    });
  }
  let last: Tensor2D[] = [];
  const run = ops.customGrad(
    // deno-lint-ignore no-explicit-any
    ((xIn: Tensor3D, wIh: Tensor2D, wHh: Tensor2D, bIh: Tensor1D, bHh: Tensor1D, save: any) => {
      const fwd = forward(xIn, wIh, wHh, bIh, bHh);
      // The final state leaves the op's scope by hand (it is detached anyway).
      last = [ops.keep(state(fwd, 5)), ops.keep(state(fwd, 4))];
      save([xIn, wIh, wHh, fwd, h0, c0]);
      return {
        value: ops.slice(fwd, [0, 0, 5 * H], [T, B, H]),
        gradFunc: (dy: Tensor, saved: Tensor[]) => backwardWebgpu(ops, dy, saved),
      };
      // deno-lint-ignore no-explicit-any
    }) as any,
  );
  const y = run(x, inputs.wIh, inputs.wHh, inputs.bIh, inputs.bHh) as Tensor3D;
  const h = ops.clone(last[0]), c = ops.clone(last[1]);
  ops.dispose(last);
  return { y, h, c };
}

function backwardWebgpu(ops: Ops, dy: Tensor, saved: Tensor[]): Tensor[] {
  const [x, wIh, wHh, fwd, h0, c0] = saved as [
    Tensor3D,
    Tensor2D,
    Tensor2D,
    Tensor3D,
    Tensor2D,
    Tensor2D,
  ];
  const [T, B, nIn] = x.shape;
  const H = wHh.shape[1];
  const dzc = tf.engine().runKernel(
    LSTM_BACKWARD_WEBGPU_KERNEL,
    { dy, wHh, fwd, c0 } as never,
    { T, B, H } as never,
  ) as Tensor3D;
  const dZ = ops.reshape(ops.slice(dzc, [0, 0, 0], [T, B, 4 * H]), [T * B, 4 * H]) as Tensor2D;
  const first = ops.reshape(h0, [1, B, H]);
  const hPrev = T > 1
    ? ops.concat([first, ops.slice(fwd, [0, 0, 5 * H], [T - 1, B, H])], 0)
    : first;
  const dWih = ops.matMul(dZ, ops.reshape(x, [T * B, nIn]) as Tensor2D, true, false);
  const dWhh = ops.matMul(dZ, ops.reshape(hPrev, [T * B, H]) as Tensor2D, true, false);
  const dBias = ops.sum(dZ, 0);
  const dx = ops.reshape(ops.matMul(dZ, wIh), [T, B, nIn]);
  return [dx, dWih, dWhh, dBias, ops.clone(dBias)];
}
