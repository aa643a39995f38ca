/**
 * The edge server: the HTTP app of `serve/app.ts` on the TensorFlow.js-free
 * CPU classifier, as a `{ fetch }` object that `deno serve` and isolate
 * hosts run. It writes nothing and reads no environment but
 * `FITLAM_API_KEY` (when allowed); the classifier comes embedded in the
 * module graph (see `build.ts`) or from a URL fetched once. Threads are used
 * where `SharedArrayBuffer` and `Worker` exist, one thread otherwise.
 *
 * @module
 */
import type { Classifier } from "../../shared/classify.ts";
import { loadCpuClassifier } from "../../shared/infer/cpu_classifier.ts";
import type { ClassifierFiles, ClassifierSource, ModelFiles } from "../../shared/model/source.ts";
import { threadsSupported } from "../../shared/ops/wasm/unshared.ts";
import { apiKeyFromEnv } from "../api_key.ts";
import { createApp, type ServeOptions } from "../app.ts";
import { CONFIG_FILE, MODEL_FILE } from "../../shared/weights/folder.ts";

/** What `deno serve` runs: the module's default export. */
export interface EdgeServer {
  fetch(request: Request): Promise<Response>;
  /** The classifier once loaded (tests and benchmarks). */
  classifier: Promise<Classifier>;
}

/** Where the weights come from: embedded files, or a function that fetches them. */
export type EdgeWeights = ClassifierSource | (() => Promise<ClassifierSource>);

/**
 * Kernel threads for the edge: `wanted` (default 1) where threads work, else
 * 1. One by default because a worker thread is a second isolate: on a
 * 2-core machine it added ~0.4 s to the cold start and ~35 MB of memory to
 * the small preset, while batch-1 requests of small models use one thread
 * anyway; pass more (edge-build --threads) where batches are large.
 */
export function edgeThreads(wanted = 1): number {
  return threadsSupported() ? Math.max(1, Math.min(wanted, navigator.hardwareConcurrency || 1)) : 1;
}

/** Options of {@linkcode edgeServer}: the app's, and the kernel threads. */
export interface EdgeOptions extends ServeOptions {
  /** Kernel threads where Worker and SharedArrayBuffer exist (default 1). */
  threads?: number;
}

/**
 * Starts loading the classifier at once (during the isolate's start) and
 * returns the fetch handler; requests wait for the load instead of
 * answering 503, so a cold start's first request gets a real answer.
 *
 * @example
 * ```ts ignore
 * import { FILES } from "./weights.ts"; // written by serve/edge/build.ts
 * export default edgeServer(FILES);
 * ```
 */
export function edgeServer(weights: EdgeWeights, options: EdgeOptions = {}): EdgeServer {
  const { threads, ...serveOptions } = options;
  const classifier = (async () => {
    const source = typeof weights === "function" ? await weights() : weights;
    return await loadCpuClassifier(source, { threads: edgeThreads(threads) });
  })();
  const app = createApp(classifier, { apiKey: apiKeyFromEnv().key, ...serveOptions });
  const settled = classifier.then(() => {}, () => {});
  return {
    classifier,
    async fetch(request) {
      await settled; // a failed load answers 503 load_failed from the app
      return await app.fetch(request);
    },
  };
}

/**
 * Fetches a weights bundle (see {@linkcode packWeights}) from `url` once.
 *
 * @example
 * ```ts ignore
 * export default edgeServer(() => fetchWeights("https://example.com/fitlam-weights.bin"));
 * ```
 */
export async function fetchWeights(url: string): Promise<ClassifierSource> {
  const res = await fetch(url);
  if (!res.ok) {
    throw new Error(
      `Cannot load classifier from ${url}: HTTP ${res.status}; check the URL and that the file is public`,
    );
  }
  return unpackWeights(new Uint8Array(await res.arrayBuffer()), url);
}

/**
 * One file holding every direction's folder: a little-endian u32 JSON
 * header length, the JSON header `{ "fwd": { "model.safetensors": [start,
 * end], ... } }` of byte ranges after it, then the bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { packWeights, unpackWeights } from "./server.ts";
 * const files = { fwd: { "config.json": new Uint8Array([123, 125]), "model.safetensors": new Uint8Array([1]) } };
 * assert.deepEqual(unpackWeights(packWeights(files), "test"), files);
 * ```
 */
export function packWeights(source: ClassifierFiles): Uint8Array {
  const header: Record<string, Record<string, [number, number]>> = {};
  const parts: [number, Uint8Array][] = [];
  let at = 0;
  for (const [d, files] of Object.entries(source)) {
    header[d] = {};
    for (const name of [CONFIG_FILE, MODEL_FILE]) {
      // Each file starts 8-byte aligned, so its tensors can be used in place.
      at = Math.ceil(at / 8) * 8;
      header[d][name] = [at, at + files![name].length];
      parts.push([at, files![name]]);
      at += files![name].length;
    }
  }
  const json = JSON.stringify(header);
  const head = new TextEncoder().encode(json.padEnd(Math.ceil((json.length + 4) / 8) * 8 - 4));
  const out = new Uint8Array(4 + head.length + at);
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  for (const [p, bytes] of parts) out.set(bytes, 4 + head.length + p);
  return out;
}

/** The folders of a {@linkcode packWeights} file; `where` names it in errors. */
export function unpackWeights(
  bytes: Uint8Array,
  where: string,
): ClassifierFiles {
  const fail = (why: string): never => {
    throw new Error(
      `Cannot load classifier from ${where}: ${why}; rebuild it with serve/edge/build.ts`,
    );
  };
  if (bytes.length < 4) fail("the file is shorter than its header");
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  let header: Record<string, Record<string, [number, number]>> = {};
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + n)));
  } catch {
    fail("its header is not JSON");
  }
  const body = bytes.subarray(4 + n);
  const out: ClassifierFiles = {};
  for (const [d, files] of Object.entries(header)) {
    if (d !== "fwd" && d !== "bwd" && d !== "baseline") fail(`unknown folder "${d}"`);
    const folder: ModelFiles = out[d as keyof ClassifierFiles] = {};
    for (const [name, [a, b]] of Object.entries(files)) {
      if (!(a >= 0 && b >= a && b <= body.length)) fail(`${d}/${name} lies outside the file`);
      folder[name] = body.subarray(a, b); // decoding copies what it keeps
    }
  }
  return out;
}
