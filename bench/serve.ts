/**
 * `deno task bench serve`: requests per second and p50/p99 latency of
 * `POST /v1/classify` (one ~250-word text per request) under concurrent
 * clients. fitlam's server (serve/main.ts) runs as a subprocess on a
 * randomly initialised classifier folder written here; the reference,
 * bench/torch_serve.py, is a minimal PyTorch + ThreadingHTTPServer with the
 * same model sizes and vocabulary. The same load generator drives both.
 *
 * @module
 */
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset, type PresetName } from "../shared/model/config.ts";
import { type Direction, saveClassifier } from "../shared/model/io.ts";
import { Rng } from "../shared/rng.ts";
import { Vocab } from "../shared/tokenizer/vocab.ts";
import {
  type BenchOptions,
  type BenchRow,
  findTorch,
  median,
  NO_TORCH,
  percentile,
  referenceEnv,
  withRatio,
} from "./common.ts";
import { BENCH_VOCAB } from "./train.ts";
import { serveArgs } from "../serve/command.ts";

/** Load-test settings. */
export interface ServeLoad {
  concurrency: number;
  seconds: number;
}

/** What one load run measured. */
export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

/** The i-th made-up word: "w", i in base 26 as letters, "z" (distinct for every i). */
export function word(i: number): string {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  let s = "";
  do {
    s += letters[i % 26];
    i = Math.floor(i / 26);
  } while (i > 0);
  return `w${s}z`;
}

/**
 * Writes `dir/classifier-<direction>/` (default fwd only; random weights of `preset`, a vocabulary of
 * made-up lower-case words) and returns request texts of ~`words` words.
 */
export async function makeServeWeights(
  dir: string,
  preset: PresetName,
  vocabSize: number,
  words = 250,
  directions: Direction[] = ["fwd"],
): Promise<string[]> {
  const { ops } = await initBackend("wasm");
  const rng = new Rng(5);
  const counts = new Map<string, number>();
  for (let i = 0; i < vocabSize; i++) counts.set(word(i), 1);
  const vocab = Vocab.build(counts, { minFreq: 1, maxSize: vocabSize + 16 });
  for (const [seed, direction] of directions.entries()) {
    const clf = new TextClassifier(ops, encoderPreset(preset, vocab.size), headPreset(2), seed);
    await saveClassifier(`${dir}/classifier-${direction}`, clf, {
      direction,
      vocab: [...vocab.itos],
      labels: ["neg", "pos"],
      preset,
    });
    clf.dispose();
  }
  const list = [...counts.keys()];
  return Array.from(
    { length: 32 },
    () => Array.from({ length: words }, () => list[rng.int(list.length)]).join(" ") + ".",
  );
}

/** Starts a server subprocess and waits until it prints its port and answers /healthz. */
export async function startServer(
  cmd: Deno.Command,
  portPattern: RegExp,
): Promise<{ child: Deno.ChildProcess; url: string }> {
  const child = cmd.spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  let port: string | undefined;
  while (!port) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Cannot start server: it exited before listening\n${buffered}`);
    buffered += value;
    port = portPattern.exec(buffered)?.[1];
  }
  // Keep draining stdout (request logs) so the server never blocks on a full pipe.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* discard */ }
    } catch { /* closed */ }
  })();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`${url}/healthz`);
      await r.body?.cancel();
      if (r.status === 200) return { child, url };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGTERM");
  throw new Error("Cannot start server: /healthz never answered 200 within 60 s");
}

export async function stopServer(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
  await child.status;
}

/**
 * Drives `url` with `concurrency` clients posting one text each for
 * `seconds` (after a 2-second warm-up that is not counted).
 */
export async function loadTest(url: string, texts: string[], load: ServeLoad): Promise<LoadResult> {
  const post = async (text: string) => {
    const r = await fetch(`${url}/v1/classify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    const body = await r.json();
    if (r.status !== 200 || !Array.isArray(body.results)) throw new Error(`HTTP ${r.status}`);
  };
  const run = async (seconds: number, latencies: number[]) => {
    let errors = 0, next = 0;
    const end = performance.now() + seconds * 1000;
    const client = async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await post(texts[next++ % texts.length]);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: load.concurrency }, client));
    return { errors, elapsed: (performance.now() - t0) / 1000 };
  };
  await run(2, []);
  const latencies: number[] = [];
  const { errors, elapsed } = await run(load.seconds, latencies);
  if (!latencies.length) {
    throw new Error(`Cannot measure the server: all ${errors} requests failed`);
  }
  return {
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: median(latencies),
    p99: percentile(latencies, 99),
  };
}

function rows(
  base: Record<string, string | number>,
  f: LoadResult,
  r: LoadResult | undefined,
  referenceName: string | undefined,
): BenchRow[] {
  const mk = (name: string, unit: string, a: number, b?: number) =>
    withRatio({ name, config: base, fitlam: a, reference: b, unit, referenceName });
  return [
    mk("serve-rps", "req/s", f.rps, r?.rps),
    mk("serve-p50", "ms", f.p50, r?.p50),
    mk("serve-p99", "ms", f.p99, r?.p99),
  ];
}

/** Starts fitlam's server (serve/main.ts) on the classifier folders in `dir`. */
function startFitlamServer(
  dir: string,
  device: string,
): Promise<{ child: Deno.ChildProcess; url: string }> {
  return startServer(
    new Deno.Command(Deno.execPath(), {
      args: serveArgs(
        "--port",
        "0",
        "--weights",
        dir,
        "--device",
        device,
        "--max-chars",
        "1000000",
      ),
      stdout: "piped",
      stderr: "inherit",
    }),
    /serving on http:\/\/[^:]+:(\d+)\//,
  );
}

/** Starts the PyTorch reference server (bench/torch_serve.py) on `dir/classifier-fwd`. */
function startTorchServer(
  exe: string,
  dir: string,
  preset: PresetName,
  threads: number,
): Promise<{ child: Deno.ChildProcess; url: string }> {
  return startServer(
    new Deno.Command(exe, {
      args: [
        new URL("./torch_serve.py", import.meta.url).pathname,
        "--weights",
        `${dir}/classifier-fwd`,
        "--preset",
        preset,
        "--threads",
        String(threads),
      ],
      env: referenceEnv(threads),
      stdout: "piped",
      stderr: "inherit",
    }),
    /"port": (\d+)/,
  );
}

/** Load-tests a started server, then stops it, whether the load test succeeded or not. */
async function loadTestThenStop(
  server: { child: Deno.ChildProcess; url: string },
  texts: string[],
  load: ServeLoad,
): Promise<LoadResult> {
  try {
    return await loadTest(server.url, texts, load);
  } finally {
    await stopServer(server.child);
  }
}

/** Runs the server benchmark. */
export async function benchServe(o: BenchOptions, load: ServeLoad): Promise<BenchRow[]> {
  const preset = o.preset ?? "small";
  const dir = await Deno.makeTempDir({ prefix: "fitlam-bench-serve-" });
  try {
    o.log(`serve ${preset}: writing random weights…`);
    const texts = await makeServeWeights(dir, preset, BENCH_VOCAB[preset] - 16);
    const base = {
      preset,
      concurrency: load.concurrency,
      seconds: load.seconds,
      words: 250,
      device: o.device,
    };
    o.log(`serve ${preset}: fitlam server, ${load.concurrency} clients, ${load.seconds} s…`);
    const f = await loadTestThenStop(await startFitlamServer(dir, o.device), texts, load);
    const py = o.noReference ? null : await findTorch();
    if (!py) {
      if (!o.noReference) o.log(NO_TORCH);
      return rows(base, f, undefined, undefined);
    }
    o.log(`serve ${preset}: PyTorch server, ${o.threads} threads…`);
    const ref = await startTorchServer(py.exe, dir, preset, o.threads);
    const r = await loadTestThenStop(ref, texts, load);
    const name =
      `PyTorch ${py.torch} + http.server.ThreadingHTTPServer, ${o.threads} threads, no batching (bench/torch_serve.py)`;
    const out = rows(base, f, r, name);
    out[0].note =
      `fitlam ${f.requests} ok/${f.errors} failed, reference ${r.requests} ok/${r.errors} failed`;
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
