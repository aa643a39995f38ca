/**
 * `deno task bench edge`: the edge deployment, fp32 and int8, against
 * PyTorch in the same run. Rows:
 *
 * - `edge-latency` / `edge-throughput`: one direction on fitlam's wasm CPU
 *   path (no TensorFlow.js) on random 256-token documents, batch 1 and
 *   batch `--bs` (32), against bench/torch_infer.py on the same work.
 * - `edge-cold-start` / `edge-peak-rss`: `deno serve` on the bundled edge
 *   entry (code and both directions' weights in one edge.js, run with
 *   --deny-write --deny-run --deny-ffi), from spawn to the first classified
 *   answer, then peak RSS after a 32-text request; against
 *   bench/torch_serve.py (one direction, random init instead of loading) and,
 *   for context, `deno task serve` (TensorFlow.js) on the fp32 folder.
 * - `edge-size`: the bundle (code + weights) against PyTorch's installed
 *   package plus the same weights in fp32.
 *
 * @module
 */
import { readClassifierSource } from "../shared/model/source.ts";
import { ResidentEncoder } from "../shared/infer/encoder.ts";
import { Head } from "../shared/infer/head.ts";
import { KernelPool, kernelThreads } from "../shared/ops/wasm/pool.ts";
import { quantizeClassifier } from "../trainer/quantize.ts";
import { bundleEdge, writeEdgeEntry } from "../serve/edge/build.ts";
import { type ColdStart, measureColdStart } from "./cold_start.ts";
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

/** Cold starts of the bundled edge entry `bundle`, medians over `n` starts. */
async function edgeColdStart(bundle: string, texts: string[], n: number): Promise<ColdStart> {
  const runs: ColdStart[] = [];
  for (let i = 0; i < n; i++) {
    runs.push(
      await measureColdStart(
        new Deno.Command(Deno.execPath(), {
          args: [
            "serve",
            ...["--port", "0", "--host", "127.0.0.1"],
            ...["--deny-write", "--deny-run", "--deny-ffi", bundle],
          ],
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }),
        { stream: "stderr", port: /Listening on http:\/\/[^:]+:(\d+)/ },
        texts,
      ),
    );
  }
  return medianStart(runs);
}

function medianStart(runs: ColdStart[]): ColdStart {
  const rss = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== undefined);
  return { ms: median(runs.map((r) => r.ms)), peakRssMb: rss.length ? median(rss) : undefined };
}

/** The TensorFlow.js server (`deno task serve`) on `dir`, for context. */
function tfjsServe(dir: string): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...["--allow-read", "--allow-env", "--allow-net", "--allow-sys"],
      new URL("../serve/main.ts", import.meta.url).pathname,
      ...["--port", "0", "--weights", dir, "--max-chars", "1000000"],
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

/** Bytes of PyTorch's installed package (what a PyTorch deployment carries besides Python). */
async function torchPackageBytes(py: Python): Promise<number | undefined> {
  const out = await new Deno.Command(py.exe, {
    args: ["-c", "import os, torch; print(os.path.dirname(torch.__file__))"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return undefined;
  const du = await new Deno.Command("du", {
    args: ["-sb", new TextDecoder().decode(out.stdout).trim()],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(du.stdout).split("\t")[0]) || undefined;
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

/** Runs the edge benchmark (preset small unless --preset). */
export async function benchEdge(o: BenchOptions): Promise<BenchRow[]> {
  const preset = o.preset ?? "small";
  const vocab = BENCH_VOCAB[preset] - 16;
  const batch = o.bs ?? 32, reps = o.quick ? 3 : 10, batchReps = o.quick ? 1 : 3;
  const starts = o.quick ? 1 : 3;
  const dir = await Deno.makeTempDir({ prefix: "fitlam-bench-edge-" });
  const rows: BenchRow[] = [];
  try {
    o.log(`edge ${preset}: writing random fwd+bwd weights and their int8 copy…`);
    const texts = await makeServeWeights(dir, preset, vocab, 250, ["fwd", "bwd"]);
    await quantizeClassifier(dir, `${dir}/int8`, "int8");
    const py = o.noReference ? null : await findTorch();
    if (!py && !o.noReference) o.log(NO_TORCH);
    let ref: Record<string, unknown> | undefined, refStart: ColdStart | undefined;
    let refName = "";
    if (py) {
      o.log(`edge ${preset}: PyTorch ${py.torch}, ${o.threads} threads…`);
      ref = await runReference(py, "torch_infer.py", [
        ...["--preset", preset, "--vocab", String(vocab), "--tokens", String(TOKENS)],
        ...["--batch", String(batch), "--reps", String(reps), "--batch-reps", String(batchReps)],
      ], o.threads);
      refStart = medianStart(
        await Promise.all([0].map(() =>
          measureColdStart(torchServe(py, dir, preset, o.threads), {
            stream: "stdout",
            port: /"port": (\d+)/,
          }, texts)
        )),
      );
      refName = `PyTorch ${py.torch} CPU, ${o.threads} threads (torch_infer.py; torch_serve.py)`;
    }
    const torchBytes = py ? await torchPackageBytes(py) : undefined;
    const f32Bytes = await folderBytes(dir);
    o.log(`edge ${preset}: deno task serve (TensorFlow.js), for context…`);
    const tf = medianStart([
      await measureColdStart(tfjsServe(dir), {
        stream: "stdout",
        port: /serving on http:\/\/[^:]+:(\d+)\//,
      }, texts),
    ]);
    const base = { preset };
    const add = (
      name: string,
      config: Record<string, string | number>,
      fitlam: number | undefined,
      reference: unknown,
      unit: string,
    ) =>
      rows.push(withRatio({
        name,
        config: { ...base, ...config },
        fitlam,
        reference: typeof reference === "number" ? reference : undefined,
        unit,
        referenceName: refName || undefined,
      }));
    add("edge-cold-start", { weights: "f32", engine: "tfjs-serve" }, tf.ms, refStart?.ms, "ms");
    add(
      "edge-peak-rss",
      { weights: "f32", engine: "tfjs-serve" },
      tf.peakRssMb,
      refStart?.peakRssMb,
      "MB",
    );
    for (const dtype of ["f32", "int8"] as const) {
      const folder = dtype === "f32" ? dir : `${dir}/int8`;
      o.log(`edge ${preset} ${dtype}: latency and throughput…`);
      const t = await timeCpu(folder, vocab, batch, reps, batchReps);
      const engine = `cpu-wasm-${kernelThreads()}thr`;
      add(
        "edge-latency",
        { weights: dtype, engine, tokens: TOKENS, batch: 1 },
        t.latencyMs,
        ref?.latency_ms,
        "ms",
      );
      add(
        "edge-throughput",
        { weights: dtype, engine, tokens: TOKENS, batch },
        t.docsPerSecond,
        ref?.docs_per_second,
        "docs/s",
      );
      o.log(`edge ${preset} ${dtype}: bundle and ${starts} cold start(s)…`);
      const out = `${dir}/edge-${dtype}`;
      await writeEdgeEntry({ weights: folder, out, embed: "base64" });
      const bundle = await bundleEdge(out);
      const s = await edgeColdStart(bundle, texts, starts);
      add(
        "edge-cold-start",
        { weights: dtype, engine: "deno-serve-edge" },
        s.ms,
        refStart?.ms,
        "ms",
      );
      add(
        "edge-peak-rss",
        { weights: dtype, engine: "deno-serve-edge" },
        s.peakRssMb,
        refStart?.peakRssMb,
        "MB",
      );
      const size = (await Deno.stat(bundle)).size, weights = await folderBytes(folder);
      const code = size - (await Deno.stat(`${out}/weights.ts`)).size;
      add(
        "edge-size",
        {
          weights: dtype,
          codeKB: Math.round(code / 1024),
          weightsMB: +(weights / 2 ** 20).toFixed(2),
        },
        size / 2 ** 20,
        torchBytes && (torchBytes + f32Bytes) / 2 ** 20,
        "MB",
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return rows;
}
