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
import { Worker as NodeWorker } from "node:worker_threads";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D, TensorInfo } from "@tensorflow/tfjs";
import type { LstmInputs, LstmOutputs } from "./lstm.ts";
import type { Ops } from "./ops.ts";
import { KERNELS_WASM_BASE64 } from "./wasm/kernels_wasm.ts";

/** Kernel names registered with tfjs for the wasm backend. */
export const LSTM_FORWARD_KERNEL = "FitlamLstmForward";
/** See {@linkcode LSTM_FORWARD_KERNEL}. */
export const LSTM_BACKWARD_KERNEL = "FitlamLstmBackward";

interface KernelExports {
  run(ctl: number): void;
  worker_loop(ctl: number, tid: number): void;
}

// The parts of tfjs-backend-wasm's backend object used here.
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
}

const TASK_LSTM_FORWARD = 1, TASK_LSTM_BACKWARD = 2;
/** Byte offset of the control block (see `Ctl` in kernels.c) and of the first array. */
const CTL = 1024, HEAP_BASE = 65536, PAGE = 65536;
const CTL_NTHREADS = 2, CTL_QUIT = 3, CTL_READY = 6, CTL_TASK = 1, CTL_ARGS = 8;
/** Below this many multiply-adds per task a second thread costs more than it saves. */
const MIN_PARALLEL_WORK = 1 << 22;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** How many threads the kernels may use: `FITLAM_THREADS`, else min(2, cores). */
export function kernelThreads(): number {
  try {
    const name = "FITLAM_THREADS";
    if (Deno.permissions.querySync({ name: "env", variable: name }).state === "granted") {
      const v = Number(Deno.env.get(name));
      if (Number.isInteger(v) && v >= 1) return Math.min(v, 16);
    }
  } catch { /* no permission API: default */ }
  return Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1));
}

// The worker (node:worker_threads, so it can be unref'd: an idle pool never
// keeps the process alive): instantiates the kernels on the shared memory
// and waits for tasks in worker_loop until told to quit.
const WORKER_SOURCE = `const { parentPort } = require("node:worker_threads");
parentPort.once("message", ({ module, memory, ctl, tid }) => {
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  k.worker_loop(ctl, tid);
  parentPort.close();
});`;

/** fitlam's kernels with their own shared memory and worker threads. */
class KernelPool {
  readonly memory: WebAssembly.Memory;
  readonly k: KernelExports;
  readonly module: WebAssembly.Module;
  readonly workers: NodeWorker[] = [];
  top = HEAP_BASE;

  constructor(readonly threads: number) {
    this.module = new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64) as BufferSource);
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    this.k = new WebAssembly.Instance(this.module, { env: { memory: this.memory } })
      .exports as unknown as KernelExports;
    for (let tid = 1; tid < threads; tid++) {
      try {
        const w = new NodeWorker(WORKER_SOURCE, { eval: true });
        w.postMessage({ module: this.module, memory: this.memory, ctl: CTL, tid });
        w.unref();
        this.workers.push(w);
      } catch {
        break; // no worker threads here: run on one thread
      }
    }
  }

  ctl(): Int32Array {
    return new Int32Array(this.memory.buffer, CTL, CTL_ARGS + 32);
  }

  /** Reserves `n` floats (16-byte aligned) and returns the byte offset. */
  alloc(n: number): number {
    const at = this.top;
    this.top += (n * 4 + 15) & ~15;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / PAGE));
    return at;
  }

  f32(at: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, n);
  }

  /** Runs a task with `args` (ints and offsets) on as many threads as are ready. */
  run(task: number, args: number[], work: number): void {
    const c = this.ctl();
    const ready = Atomics.load(c, CTL_READY);
    c[CTL_TASK] = task;
    c[CTL_NTHREADS] = work >= MIN_PARALLEL_WORK ? 1 + Math.min(ready, this.workers.length) : 1;
    c.set(args, CTL_ARGS);
    this.k.run(CTL);
    this.top = HEAP_BASE;
  }

  /** Stops the workers. */
  close(): void {
    Atomics.store(this.ctl(), CTL_QUIT, 1);
    Atomics.notify(this.ctl(), 0);
    for (const w of this.workers) w.terminate().catch(() => {});
    this.workers.length = 0;
  }
}

let pool: KernelPool | undefined;

function kernels(): KernelPool {
  pool ??= new KernelPool(kernelThreads());
  return pool;
}

/**
 * Starts the kernels' threads if needed and waits (up to `timeoutMs`) until
 * the workers are ready; returns how many threads the kernels can now use.
 */
export async function kernelThreadsReady(timeoutMs = 10_000): Promise<number> {
  const p = kernels();
  const end = performance.now() + timeoutMs;
  while (Atomics.load(p.ctl(), CTL_READY) < p.workers.length && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return 1 + Math.min(Atomics.load(p.ctl(), CTL_READY), p.workers.length);
}

/** Stops the kernels' worker threads (they restart on the next kernel call). */
export function closeKernelThreads(): void {
  pool?.close();
  pool = undefined;
}

/** Copies tfjs tensors into the pool's memory; returns their offsets. */
function copyIn(p: KernelPool, b: WasmBackendLike, ts: TensorInfo[]): number[] {
  const offs = ts.map((t) => p.alloc(sizeOf(t.shape)));
  ts.forEach((t, i) => p.f32(offs[i], sizeOf(t.shape)).set(b.typedArrayFromHeap(t)));
  return offs;
}

/** Makes tfjs outputs of `shapes` and fills them from the pool's memory at `offs`. */
function copyOut(p: KernelPool, b: WasmBackendLike, shapes: number[][], offs: number[]) {
  const outs = shapes.map((s) => b.makeOutput(s, "float32"));
  outs.forEach((o, i) => b.typedArrayFromHeap(o).set(p.f32(offs[i], sizeOf(shapes[i]))));
  return outs;
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
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
      const p = kernels();
      const G = 4 * H;
      const inOffs = copyIn(p, b, [x, wIh, wHh, bIh, bHh, h0, c0]);
      const shapes = [[T, B, G], [T, B, H], [T, B, H], [B, H], [B, H]];
      const scratch = p.alloc((nIn + H) * G);
      const outOffs = shapes.map((s) => p.alloc(sizeOf(s)));
      try {
        p.run(
          TASK_LSTM_FORWARD,
          [T, B, nIn, H, ...inOffs, scratch, ...outOffs],
          T * B * G * (nIn + H),
        );
        return copyOut(p, b, shapes, outOffs);
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
