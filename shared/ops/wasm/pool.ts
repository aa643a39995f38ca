/**
 * The pool that runs fitlam's WebAssembly SIMD kernels (kernels.c): the
 * compiled module, a shared memory of its own, and worker threads
 * (node:worker_threads, unref'd so an idle pool never keeps the process
 * alive) that wait in `worker_loop` for tasks. Thread 0 is the caller.
 * Tensors are copied between the tfjs heap and this memory.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import { Worker as NodeWorker } from "node:worker_threads";
import { type BlasLibrary, findBlas, noSgemm, SGEMM, sgemmImport } from "./blas.ts";
import { KERNELS_WASM_BASE64 } from "./kernels_wasm.ts";
import { threadsSupported, unsharedModuleBytes } from "./unshared.ts";

/** The module's exports. */
export interface KernelExports {
  run(ctl: number): void;
  worker_loop(ctl: number, tid: number): void;
}

/** The parts of tfjs-backend-wasm's backend object used here. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array;
}

/** Task numbers (the `TASK_*` enum of kernels.c). */
export const TASK_LSTM_FORWARD = 1,
  TASK_LSTM_BACKWARD = 2,
  TASK_XENT_FORWARD = 4,
  TASK_XENT_TRAIN = 5,
  TASK_LSTM_FORWARD_Q8 = 6;
/** Byte offset of the control block (see `Ctl` in kernels.c) and of the first array. */
export const CTL = 1024, HEAP_BASE = 65536, PAGE = 65536;
const CTL_NTHREADS = 2, CTL_QUIT = 3, CTL_READY = 6, CTL_BLAS = 7, CTL_TASK = 1, CTL_ARGS = 8;
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
// and waits for tasks in worker_loop until told to quit. With the host's
// BLAS, each thread loads it (sgemmImport) for the products it computes.
const WORKER_SOURCE = `const { parentPort } = require("node:worker_threads");
const SGEMM = ${JSON.stringify(SGEMM)};
const sgemmImport = ${sgemmImport.toString()};
const noSgemm = ${noSgemm.toString()};
parentPort.once("message", ({ module, memory, ctl, tid, blasPath }) => {
  const sgemm = blasPath ? sgemmImport(memory, blasPath) : noSgemm;
  const k = new WebAssembly.Instance(module, { env: { memory, sgemm } }).exports;
  k.worker_loop(ctl, tid);
  parentPort.close?.(); // Deno's parentPort has no close: terminate() ends it
});`;

/** fitlam's kernels with their own shared memory and worker threads. */
export class KernelPool {
  readonly memory: WebAssembly.Memory;
  readonly k: KernelExports;
  readonly module: WebAssembly.Module;
  readonly workers: NodeWorker[] = [];
  /** Where the arrays of a task start: above what {@linkcode keep} made permanent. */
  base = HEAP_BASE;
  top = HEAP_BASE;

  /**
   * `wasm`: another build of kernels.c (benchmarks of variants); the embedded one by default.
   * Where threads are unsupported (see `threadsSupported`) the pool runs on one thread on a
   * plain memory, whatever `threads` asks. `blas`: the host's BLAS for the large products
   * (see blas.ts; none by default).
   */
  constructor(readonly threads: number, wasm?: Uint8Array, readonly blas?: BlasLibrary) {
    const bytes = wasm ?? decodeBase64(KERNELS_WASM_BASE64);
    const shared = threads > 1 && threadsSupported();
    if (!shared) this.threads = 1;
    this.module = new WebAssembly.Module(
      (shared ? bytes : unsharedModuleBytes(bytes)) as BufferSource,
    );
    this.memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared });
    const sgemm = blas ? sgemmImport(this.memory, blas.path) : noSgemm;
    this.k = new WebAssembly.Instance(this.module, { env: { memory: this.memory, sgemm } })
      .exports as unknown as KernelExports;
    this.ctl()[CTL_BLAS] = blas ? 1 : 0;
    for (let tid = 1; tid < threads; tid++) {
      try {
        const w = new NodeWorker(WORKER_SOURCE, { eval: true });
        w.postMessage({
          module: this.module,
          memory: this.memory,
          ctl: CTL,
          tid,
          blasPath: blas?.path,
        });
        w.unref();
        this.workers.push(w);
      } catch {
        break; // no worker threads here: run on one thread
      }
    }
  }

  /** Keeps everything allocated so far (weights that stay resident) across tasks. */
  keep(): void {
    this.base = this.top;
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

  /**
   * Runs a task with `args` (ints and offsets) on as many threads as are
   * ready; `packK` is the largest inner dimension of the task's products
   * (each thread gets a buffer of packK·8 floats to pack panels into).
   */
  run(task: number, args: number[], work: number, packK = 0): void {
    if (args.length > 30) throw new Error(`Cannot run kernel task ${task}: too many arguments`);
    const pack = packK > 0 ? this.alloc(this.threads * packK * 8) : 0;
    const c = this.ctl();
    const ready = Atomics.load(c, CTL_READY);
    c[CTL_TASK] = task;
    c[CTL_NTHREADS] = work >= MIN_PARALLEL_WORK ? 1 + Math.min(ready, this.workers.length) : 1;
    c.set(args, CTL_ARGS);
    c[CTL_ARGS + 30] = pack;
    c[CTL_ARGS + 31] = packK * 8;
    this.k.run(CTL);
    this.top = this.base;
  }

  /** Waits (up to `timeoutMs`) until every worker waits for tasks; returns the threads usable now. */
  async ready(timeoutMs = 10_000): Promise<number> {
    const end = performance.now() + timeoutMs;
    while (Atomics.load(this.ctl(), CTL_READY) < this.workers.length && performance.now() < end) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return 1 + Math.min(Atomics.load(this.ctl(), CTL_READY), this.workers.length);
  }

  /** Stops the workers. */
  close(): void {
    Atomics.store(this.ctl(), CTL_QUIT, 1);
    Atomics.notify(this.ctl(), 0);
    for (const w of this.workers) w.terminate().catch(() => {});
    this.workers.length = 0;
  }
}

/**
 * The forward task's work as the pool weighs it (below its threshold: one
 * thread). Where the kernel would split hidden units (a barrier every step),
 * under 2^20 multiply-adds a step count as no work: at batch 1 on the small
 * preset (262k a step) the barrier, and on a busy machine the wait for the
 * other thread, cost more than the second thread saves (latency 53 → 33 ms
 * at load 3). The batch-row split (kernels.c `by_rows`) has no barriers.
 */
export function forwardWork(
  threads: number,
  T: number,
  B: number,
  nIn: number,
  H: number,
): number {
  const G = 4 * H;
  const byRows = B >= 4 * threads && 4 * H * H <= 1 << 20;
  return byRows || B * G * H >= 1 << 20 ? T * B * G * (nIn + H) : 0;
}

let pool: KernelPool | undefined;

/** The process's kernel pool, started on first use, with the host's BLAS where allowed (blas.ts). */
export function kernels(): KernelPool {
  pool ??= new KernelPool(kernelThreads(), undefined, findBlas());
  return pool;
}

/**
 * Starts the kernels' threads if needed and waits (up to `timeoutMs`) until
 * the workers are ready; returns how many threads the kernels can now use.
 */
export function kernelThreadsReady(timeoutMs = 10_000): Promise<number> {
  return kernels().ready(timeoutMs);
}

/** Copies tfjs tensors into the pool's memory; returns their offsets. */
export function copyIn(p: KernelPool, b: WasmBackendLike, ts: TensorInfo[]): number[] {
  const offs = ts.map((t) => p.alloc(sizeOf(t.shape)));
  ts.forEach((t, i) => {
    const n = sizeOf(t.shape);
    const view = t.dtype === "int32"
      ? new Int32Array(p.memory.buffer, offs[i], n)
      : p.f32(offs[i], n);
    view.set(b.typedArrayFromHeap(t));
  });
  return offs;
}

/** Makes tfjs outputs of `shapes` and fills them from the pool's memory at `offs`. */
export function copyOut(p: KernelPool, b: WasmBackendLike, shapes: number[][], offs: number[]) {
  const outs = shapes.map((s) => b.makeOutput(s, "float32"));
  outs.forEach((o, i) => b.typedArrayFromHeap(o).set(p.f32(offs[i], sizeOf(shapes[i]))));
  return outs;
}

/** Number of elements of a shape. */
export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Throws unless every input is float32. */
export function checkFloat(name: string, inputs: Record<string, TensorInfo>) {
  for (const [k, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") {
      throw new Error(`Cannot run ${name}: input ${k} is ${t.dtype}, not float32`);
    }
  }
}
