/**
 * `deno task bench edge`: the edge deployment, fp32 and int8, against
 * PyTorch in the same run. Rows:
 *
 * - `edge-latency` / `edge-throughput`: one direction on fitlam's wasm CPU
 *   path (no TensorFlow.js) on random 256-token documents, batch 1 and
 *   batch `--bs` (32), against bench/torch_infer.py on the same work.
 * - `edge-cold-start` / `edge-peak-rss` / `edge-anon-rss`: `deno serve` on the bundled edge
 *   entry (code and both directions' weights in one edge.js, run with
 *   --deny-write --deny-run --deny-ffi), from spawn to the first classified
 *   answer, then peak RSS after a 32-text request and the anonymous part of
 *   what is resident then (the process's own pages, not the runtime's shared
 *   executable); against
 *   bench/torch_serve.py (one direction, random init instead of loading) and,
 *   for context, `deno task serve` (TensorFlow.js) on the fp32 folder.
 * - `edge-size`: the bundle (code + weights) against PyTorch's installed
 *   package plus the same weights in fp32.
 * - int8's memory rows again with V8's optimizing compilers off
 *   (`v8=no-optimizing-compilers`): how much of the peak is the compilers' code
 *   and memory, which any hot wasm or JavaScript brings in and a module cannot avoid.
 * - the int8 cold start and memory rows again with a bag-of-words model of the
 *   default run's size beside the classifiers (`bagOfWords`: its n-grams), as
 *   the trainer's folders have one.
 *
 * @module
 */
import { readClassifierSource } from "../shared/model/source.ts";
import { ResidentEncoder } from "../shared/infer/encoder.ts";
import { Head } from "../shared/infer/head.ts";
import { KernelPool, kernelThreads } from "../shared/ops/wasm/pool.ts";
import { quantizeClassifier } from "../trainer/quantize.ts";
import { bundleEdge, writeEdgeEntry } from "../serve/edge/build.ts";
import { type Announce, type ColdStart, measureColdStart } from "./cold_start.ts";
import {
  type BenchOptions,
  type BenchRow,
  findTorch,
  median,
  NO_TORCH,
  type Python,
  referenceEnv,
  runReference,
  withRatio,
} from "./common.ts";
import { randomDocs } from "./infer.ts";
import { makeServeWeights } from "./serve.ts";
import { BENCH_VOCAB } from "./train.ts";
import { DEFAULT_RUN_TERMS, writeBagOfWords } from "./bow_weights.ts";

const TOKENS = 256;

/** Median batch-1 latency (ms) and batch throughput (docs/s) of one direction on the CPU path. */
async function timeCpu(dir: string, vocab: number, batch: number, reps: number, batchReps: number) {
  const [{ config, raw }] = await readClassifierSource(dir, ["fwd"]);
  const pool = new KernelPool(kernelThreads());
  const enc = new ResidentEncoder(pool, config.encoder, raw.tensors);
  const head = new Head(config.head!, raw.tensors);
  const run = (docs: Int32Array[]) =>
    head.probabilities(enc.encode(docs, config.head!), docs.length);
  const time = (docs: Int32Array[], warmup: number, n: number) => {
    for (let i = 0; i < warmup; i++) run(docs);
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      run(docs);
      t.push(performance.now() - t0);
    }
    return median(t);
  };
  try {
    // A moment for the worker threads to start, as a server has had.
    await new Promise((r) => setTimeout(r, 200));
    const latencyMs = time(randomDocs(1, TOKENS, vocab, 3), 2, reps);
    const batchMs = time(randomDocs(batch, TOKENS, vocab, 4), 1, batchReps);
    return { latencyMs, docsPerSecond: batch / (batchMs / 1000) };
  } finally {
    pool.close();
  }
}

/** Median of `n` cold starts of the server `command()` spawns. */
async function coldStarts(
  command: () => Deno.Command,
  announce: Announce,
  texts: string[],
  n: number,
): Promise<ColdStart> {
  const runs: ColdStart[] = [];
  for (let i = 0; i < n; i++) runs.push(await measureColdStart(command(), announce, texts));
  const pick = (f: (r: ColdStart) => number | undefined) => {
    const xs = runs.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  return {
    ms: median(runs.map((r) => r.ms)),
    peakRssMb: pick((r) => r.peakRssMb),
    anonRssMb: pick((r) => r.anonRssMb),
    mappedMb: pick((r) => r.mappedMb),
  };
}

const DENO_SERVE: Announce = { stream: "stderr", port: /Listening on http:\/\/[^:]+:(\d+)/ };

/**
 * V8 flags that turn off its optimizing compilers (TurboFan for wasm and JavaScript, Maglev):
 * what the model costs without the compilers' code and memory, for the memory rows' context.
 */
const NO_OPTIMIZER = "--v8-flags=--liftoff-only,--no-opt,--no-maglev";

/** `deno serve` on `entry` as an edge host would run it: nothing writable, no subprocesses. */
function denoServe(entry: string, ...flags: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      ...["serve", "--port", "0", "--host", "127.0.0.1", "--unstable-raw-imports", ...flags],
      ...["--deny-write", "--deny-run", "--deny-ffi", entry],
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

/** The TensorFlow.js server (`deno task serve`) on `dir`, for context. */
function tfjsServe(dir: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...["--allow-read", "--allow-env", "--allow-net", "--allow-sys"],
      new URL("../serve/main.ts", import.meta.url).pathname,
      ...["--port", "0", "--weights", dir, "--max-chars", "1000000"],
      // paper fp32 on TensorFlow.js can take more than the default 30 s for 32 texts on a
      // busy machine: a 503 deadline_exceeded would end the benchmark.
      ...["--deadline-ms", "600000"],
    ],
    stdout: "piped",
    stderr: "piped",
  });
}

function torchServe(py: Python, dir: string, preset: string, threads: number): Deno.Command {
  return new Deno.Command(py.exe, {
    args: [
      new URL("./torch_serve.py", import.meta.url).pathname,
      ...["--weights", `${dir}/classifier-fwd`, "--preset", preset],
      ...["--threads", String(threads)],
    ],
    env: referenceEnv(threads),
    stdout: "piped",
    stderr: "piped",
  });
}

/** A `deno serve` module that answers every request at once: the runtime's own floor. */
async function helloEntry(dir: string): Promise<string> {
  const path = `${dir}/hello.js`;
  await Deno.writeTextFile(
    path,
    "export default { fetch: async (r) => { await r.text(); return new Response('{}'); } };\n",
  );
  return path;
}

async function folderBytes(dir: string): Promise<number> {
  let n = 0;
  for (const d of ["fwd", "bwd"]) {
    for (const f of ["model.safetensors", "config.json"]) {
      n += (await Deno.stat(`${dir}/classifier-${d}/${f}`)).size;
    }
  }
  return n;
}

/** What the PyTorch side measured once for every row. */
interface Reference {
  name: string;
  infer?: Record<string, unknown>;
  start?: ColdStart;
}

async function measureReference(
  o: BenchOptions,
  dir: string,
  preset: string,
  vocab: number,
  texts: string[],
  work: Work,
): Promise<Reference> {
  const py = o.noReference ? null : await findTorch();
  if (!py) {
    if (!o.noReference) o.log(NO_TORCH);
    return { name: "" };
  }
  o.log(`edge ${preset}: PyTorch ${py.torch}, ${o.threads} threads…`);
  const infer = await runReference(py, "torch_infer.py", [
    ...["--preset", preset, "--vocab", String(vocab), "--tokens", String(TOKENS)],
    ...["--batch", String(work.batch), "--reps", String(work.reps)],
    ...["--batch-reps", String(work.batchReps)],
  ], o.threads);
  const start = await coldStarts(
    () => torchServe(py, dir, preset, o.threads),
    { stream: "stdout", port: /"port": (\d+)/ },
    texts,
    work.starts,
  );
  const name = `PyTorch ${py.torch} CPU, ${o.threads} threads: bench/torch_infer.py (latency, ` +
    "throughput), bench/torch_serve.py (one direction, random init; cold start, RSS, mapped files)";
  return { name, infer, start };
}

/** Adds one row with its ratio; `reference` counts only when it is a number. */
type AddRow = (
  name: string,
  config: Record<string, string | number>,
  fitlam?: number,
  reference?: unknown,
  unit?: string,
) => void;

function rowAdder(rows: BenchRow[], preset: string, ref: Reference): AddRow {
  return (name, config, fitlam, reference, unit = "ms") => {
    const r = typeof reference === "number" ? reference : undefined;
    rows.push(withRatio({
      name,
      config: { preset, ...config },
      fitlam,
      reference: r,
      unit,
      referenceName: r === undefined ? undefined : ref.name,
    }));
  };
}

type Work = { batch: number; reps: number; batchReps: number; starts: number };

/** Rows for context: the runtime's floor (hello world) and the TensorFlow.js server. */
async function contextRows(add: AddRow, dir: string, ref: Reference, texts: string[], w: Work) {
  const helloPath = await helloEntry(dir);
  const hello = await coldStarts(() => denoServe(helloPath), DENO_SERVE, texts, w.starts);
  add("edge-cold-start", { engine: "deno-serve-hello-world" }, hello.ms);
  add("edge-peak-rss", { engine: "deno-serve-hello-world" }, hello.peakRssMb, undefined, "MB");
  add("edge-anon-rss", { engine: "deno-serve-hello-world" }, hello.anonRssMb, undefined, "MB");
  const announce = { stream: "stdout" as const, port: /serving on http:\/\/[^:]+:(\d+)\// };
  const tf = await coldStarts(() => tfjsServe(dir), announce, texts, 1);
  const tfjs = { weights: "f32", engine: "tfjs-serve" };
  add("edge-cold-start", tfjs, tf.ms, ref.start?.ms);
  add("edge-peak-rss", tfjs, tf.peakRssMb, ref.start?.peakRssMb, "MB");
}

/** Speed, cold start, memory and size rows of one weight precision. */
async function dtypeRows(
  add: AddRow,
  o: { dir: string; dtype: "f32" | "int8"; vocab: number; texts: string[]; ref: Reference },
  w: Work,
) {
  const { dir, dtype, ref } = o;
  const folder = dtype === "f32" ? dir : `${dir}/int8`;
  const t = await timeCpu(folder, o.vocab, w.batch, w.reps, w.batchReps);
  const engine = `cpu-wasm-${kernelThreads()}thr`;
  const one = { weights: dtype, engine, tokens: TOKENS, batch: 1 };
  add("edge-latency", one, t.latencyMs, ref.infer?.latency_ms);
  const many = { ...one, batch: w.batch };
  add("edge-throughput", many, t.docsPerSecond, ref.infer?.docs_per_second, "docs/s");
  const out = `${dir}/edge-${dtype}`;
  await writeEdgeEntry({ weights: folder, out, embed: "bytes" });
  const bundle = await bundleEdge(out);
  const s = await coldStarts(() => denoServe(bundle), DENO_SERVE, o.texts, w.starts);
  const edge = { weights: dtype, engine: "deno-serve-edge-1thr" };
  add("edge-cold-start", edge, s.ms, ref.start?.ms);
  add("edge-peak-rss", edge, s.peakRssMb, ref.start?.peakRssMb, "MB");
  add("edge-anon-rss", edge, s.anonRssMb, ref.start?.anonRssMb, "MB");
  if (dtype === "int8") {
    const unopt = await coldStarts(() => denoServe(bundle, NO_OPTIMIZER), DENO_SERVE, o.texts, 1);
    const noOpt = { ...edge, v8: "no-optimizing-compilers" };
    add("edge-peak-rss", noOpt, unopt.peakRssMb, undefined, "MB");
    add("edge-anon-rss", noOpt, unopt.anonRssMb, undefined, "MB");
  }
  const code = (await Deno.stat(bundle)).size;
  const weights = (await Deno.stat(`${out}/weights.bin`)).size;
  const size = (code + weights) / 2 ** 20;
  const sized = {
    weights: dtype,
    codeKB: Math.round(code / 1024),
    weightsMB: +(weights / 2 ** 20).toFixed(2),
  };
  // PyTorch's deployment: the files its server maps (Python, torch, BLAS) plus fp32 weights.
  const torchMb = ref.start?.mappedMb && ref.start.mappedMb + await folderBytes(dir) / 2 ** 20;
  add("edge-size", { ...sized, runtime: "host's" }, size, torchMb, "MB");
  add(
    "edge-size",
    { ...sized, runtime: "included" },
    s.mappedMb && s.mappedMb + size,
    torchMb,
    "MB",
  );
}

/** int8 cold start and memory with a bag of words of the default run's size in the bundle. */
async function bagOfWordsRows(
  add: AddRow,
  o: { dir: string; vocab: number; texts: string[]; ref: Reference },
  w: Work,
) {
  const folder = `${o.dir}/int8-bow`;
  for (const d of ["fwd", "bwd"]) {
    await Deno.mkdir(`${folder}/classifier-${d}`, { recursive: true });
    for (const f of ["model.safetensors", "config.json"]) {
      await Deno.copyFile(`${o.dir}/int8/classifier-${d}/${f}`, `${folder}/classifier-${d}/${f}`);
    }
  }
  await writeBagOfWords(folder, ["neg", "pos"], o.vocab);
  const out = `${o.dir}/edge-int8-bow`;
  await writeEdgeEntry({ weights: folder, out, embed: "bytes" });
  const bundle = await bundleEdge(out);
  const s = await coldStarts(() => denoServe(bundle), DENO_SERVE, o.texts, w.starts);
  const terms = DEFAULT_RUN_TERMS.words + DEFAULT_RUN_TERMS.chars;
  const edge = { weights: "int8", engine: "deno-serve-edge-1thr", bagOfWords: terms };
  add("edge-cold-start", edge, s.ms, o.ref.start?.ms);
  add("edge-peak-rss", edge, s.peakRssMb, o.ref.start?.peakRssMb, "MB");
  add("edge-anon-rss", edge, s.anonRssMb, o.ref.start?.anonRssMb, "MB");
}

/** Runs the edge benchmark (preset small unless --preset). */
export async function benchEdge(o: BenchOptions): Promise<BenchRow[]> {
  const preset = o.preset ?? "small";
  const vocab = BENCH_VOCAB[preset] - 16;
  const work: Work = {
    batch: o.bs ?? 32,
    reps: o.quick ? 3 : 10,
    batchReps: o.quick ? 1 : 3,
    starts: o.quick ? 1 : 3,
  };
  const dir = await Deno.makeTempDir({ prefix: "fitlam-bench-edge-" });
  const rows: BenchRow[] = [];
  try {
    o.log(`edge ${preset}: writing random fwd+bwd weights and their int8 copy…`);
    const texts = await makeServeWeights(dir, preset, vocab, 250, ["fwd", "bwd"]);
    await quantizeClassifier(dir, `${dir}/int8`, "int8");
    const ref = await measureReference(o, dir, preset, vocab, texts, work);
    const add = rowAdder(rows, preset, ref);
    o.log(`edge ${preset}: deno serve hello world, and deno task serve (TensorFlow.js)…`);
    await contextRows(add, dir, ref, texts, work);
    for (const dtype of ["f32", "int8"] as const) {
      o.log(`edge ${preset} ${dtype}: speed, bundle, ${work.starts} cold start(s)…`);
      await dtypeRows(add, { dir, dtype, vocab, texts, ref }, work);
    }
    o.log(`edge ${preset} int8 with a bag of words: bundle, ${work.starts} cold start(s)…`);
    await bagOfWordsRows(add, { dir, vocab, texts, ref }, work);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return rows;
}
