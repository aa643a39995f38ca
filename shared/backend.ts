/**
 * Picks and starts a TensorFlow.js backend for a `--device` value, and builds
 * the {@linkcode Ops} the model runs on. This is the only module that touches
 * the global tfjs engine's backend choice.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { fileURLToPath } from "node:url";
import { createOps, type Ops } from "./ops/ops.ts";
import { fitlamWasmKernelsEnabled, registerWasmKernels } from "./ops/wasm_kernels.ts";
import { blasHint, describeBlas, findBlas } from "./ops/wasm/blas.ts";
import { kernelThreadsReady } from "./ops/wasm/pool.ts";
import { registerWebgpuKernels, verifyWebgpuKernels } from "./ops/webgpu/webgpu_kernels.ts";

/** Devices a user may name; `auto` picks webgpu on real GPU hardware, else wasm. */
export const DEVICES = ["auto", "webgpu", "wasm", "cpu"] as const;

/** One of {@linkcode DEVICES}. */
export type Device = typeof DEVICES[number];

/** What {@linkcode initBackend} started. */
export interface BackendInfo {
  /** The tfjs backend name actually running: "webgpu", "wasm" or "cpu". */
  backend: "webgpu" | "wasm" | "cpu";
  /** A human description, e.g. the GPU adapter's name. */
  description: string;
  /** The ops the model should be given. */
  ops: Ops;
}

/**
 * Checks a `--device` value and returns it typed, or throws an error that
 * lists the valid devices.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDevice } from "./backend.ts";
 * assert.equal(parseDevice("wasm"), "wasm");
 * ```
 */
export function parseDevice(value: string): Device {
  if ((DEVICES as readonly string[]).includes(value)) return value as Device;
  throw new Error(
    `Cannot select device "${value}": it is not a known device; use one of ${DEVICES.join(", ")}`,
  );
}

interface GpuAdapterLike {
  info?: { description?: string; device?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/** Describes the WebGPU adapter, or returns undefined when there is none. */
export async function probeGpu(): Promise<{ description: string; software: boolean } | undefined> {
  // deno-lint-ignore no-explicit-any
  const gpu = (navigator as any).gpu;
  if (!gpu) return undefined;
  // Mesa's Vulkan loader complains on stderr when this is unset; any folder silences it.
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
  } catch { /* no --allow-env: the warning is harmless */ }
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    return undefined;
  }
  if (!adapter) return undefined;
  const description = adapter.info?.description || adapter.info?.device || "unknown adapter";
  const software = Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
    /llvmpipe|swiftshader|software/i.test(description);
  return { description, software };
}

/**
 * The folder holding tfjs-backend-wasm's `.wasm` files when this module runs
 * inside a one-file bundle (`deno compile --bundle`, see serve/compile.ts),
 * else undefined. Bundled, the package's own `__dirname` lookup is gone, so
 * the files are found where `deno compile` embeds them: at their project
 * path, relative to the bundle, which sits at the project root.
 */
function bundledWasmDir(): string | undefined {
  const here = import.meta.url;
  if (!here.startsWith("file:") || here.endsWith("/shared/backend.ts")) return undefined;
  return fileURLToPath(new URL("node_modules/@tensorflow/tfjs-backend-wasm/dist/", here));
}

/** Points the wasm backend at its `.wasm` files when bundled; a no-op otherwise. */
function locateWasmFiles(wasm: { setWasmPaths(prefix: string): void }): void {
  const dir = bundledWasmDir();
  if (!dir) return;
  try {
    Deno.statSync(`${dir}tfjs-backend-wasm.wasm`);
  } catch {
    throw new Error(
      `Cannot start the wasm backend: its .wasm files are not in ${dir}; ` +
        "build the binary with `deno task compile` (it embeds them) or use device cpu",
    );
  }
  // Emscripten's Node branch reads `__dirname` before any path override.
  const g = globalThis as { __dirname?: string };
  g.__dirname ??= dir;
  wasm.setWasmPaths(dir);
}

let started: BackendInfo | undefined;

/** The tfjs backend a `device` resolves to, probing the GPU for `auto` and `webgpu`. */
async function resolveDevice(
  device: Device,
): Promise<{ backend: BackendInfo["backend"]; description: string }> {
  if (device === "cpu") return { backend: "cpu", description: "cpu (plain JavaScript)" };
  if (device === "wasm") return { backend: "wasm", description: wasmDescription() };
  const gpu = await probeGpu();
  if (device === "webgpu" && !gpu) {
    throw new Error(
      "Cannot select device webgpu: no WebGPU adapter was found; install a Vulkan driver or use device wasm",
    );
  }
  if (gpu && (device === "webgpu" || !gpu.software)) {
    const software = gpu.software ? ", software renderer" : "";
    return { backend: "webgpu", description: `webgpu (${gpu.description}${software})` };
  }
  return { backend: "wasm", description: wasmDescription() };
}

/** The wasm backend as the run line names it: with the host's BLAS where the kernels use it. */
function wasmDescription(): string {
  if (!fitlamWasmKernelsEnabled()) return "wasm (SIMD)";
  const blas = findBlas();
  return blas
    ? `wasm (SIMD) + ${describeBlas(blas)} for large matrix products`
    : `wasm (SIMD)${blasHint()}`;
}

/**
 * The name of the backend TensorFlow.js's global engine runs now, or
 * undefined when none has been started in this process (or worker). Reading
 * it starts nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, runningBackend } from "./backend.ts";
 * await initBackend("cpu");
 * assert.equal(runningBackend(), "cpu");
 * ```
 */
export function runningBackend(): string | undefined {
  return tf.engine().backendName || undefined;
}

/**
 * Starts the backend for `device` and returns the ops to hand the model.
 * TensorFlow.js has one global backend per process (or worker): a call with
 * another device than the running one switches it, and every model already
 * loaded then computes on the new one. Entry points that own the process
 * (trainer, server, benchmarks, tests) call this; the library goes through
 * {@linkcode startOrReuseBackend}, which never switches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "./backend.ts";
 * const { backend, ops } = await initBackend("cpu");
 * assert.equal(backend, "cpu");
 * assert.equal(typeof ops.lstm, "function");
 * ```
 */
export async function initBackend(device: Device | string = "wasm"): Promise<BackendInfo> {
  const { backend, description } = await resolveDevice(parseDevice(device));
  if (started?.backend === backend && runningBackend() === backend) return started;
  // Production mode skips debug-only checks and the "install tfjs-node" banner.
  tf.enableProdMode();
  if (backend === "webgpu") {
    await import("@tensorflow/tfjs-backend-webgpu");
    registerWebgpuKernels();
  }
  if (backend === "wasm") {
    locateWasmFiles(await import("@tensorflow/tfjs-backend-wasm"));
    registerWasmKernels();
  }
  const ok = await tf.setBackend(backend);
  if (!ok) {
    throw new Error(`Cannot start the ${backend} backend: tfjs refused it; try device cpu`);
  }
  await tf.ready();
  // A kernel uses the threads ready at its call, and sums split across threads round
  // differently: waiting for all of them keeps a seeded run's losses identical run to run.
  if (backend === "wasm") await kernelThreadsReady();
  if (started?.backend === backend) return started;
  started = { backend, description, ops: createOps(tf, backend) };
  if (backend === "webgpu") await verifyWebgpuKernels(started.ops);
  return started;
}

/**
 * The backend for a library call such as `loadClassifier`: starts `device`
 * (default wasm) when no TensorFlow.js backend runs yet, and otherwise keeps
 * the running one, so that loading a model never moves models already loaded
 * onto another backend. Without `device` the running backend is used
 * whatever it is (if fitlam can run on it); with a `device` that resolves to
 * another backend than the running one it throws instead of switching.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, startOrReuseBackend } from "./backend.ts";
 * await initBackend("cpu");
 * assert.equal((await startOrReuseBackend()).backend, "cpu");
 * await assert.rejects(startOrReuseBackend("wasm"), /already runs the cpu backend/);
 * ```
 */
export async function startOrReuseBackend(device?: Device): Promise<BackendInfo> {
  const running = runningBackend();
  if (running === undefined) return await initBackend(device ?? "wasm");
  if (!["cpu", "wasm", "webgpu"].includes(running)) {
    throw new Error(
      `Cannot use the running TensorFlow.js backend: it is ${running}, and fitlam runs only on ` +
        "cpu, wasm or webgpu; set one of those with tf.setBackend before loading",
    );
  }
  const wanted = device === undefined
    ? running
    : (await resolveDevice(parseDevice(device))).backend;
  if (wanted !== running) {
    throw new Error(
      `Cannot start the ${wanted} backend: TensorFlow.js already runs the ${running} backend, ` +
        "and it has one backend per process, so switching would move every model loaded on it; " +
        `load with device "${running}" (or without a device), or use device ${wanted} in a new ` +
        "process or Worker",
    );
  }
  return await initBackend(running);
}
