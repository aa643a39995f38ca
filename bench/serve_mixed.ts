/**
 * `deno task bench serve --mixed`: the server under realistic traffic —
 * texts of 4 to 500 words (about 20 to 3,000 characters), half the requests
 * one text and half eight — measured in tokens per second and set against
 * batch-32 inference of 256-token documents in-process (`bench infer`'s
 * throughput) in the same run: the ratio is the share of the batch
 * benchmark's throughput that mixed traffic reaches.
 *
 * @module
 */
import { initBackend } from "../shared/backend.ts";
import { Rng } from "../shared/rng.ts";
import { tokenize } from "../shared/tokenizer/tokenizer.ts";
import { type BenchOptions, type BenchRow, median, percentile, withRatio } from "./common.ts";
import { timeFitlamInfer } from "./infer.ts";
import { makeServeWeights, type ServeLoad, startServer, stopServer, word } from "./serve.ts";
import { BENCH_VOCAB } from "./train.ts";

/** What the mixed load measured. */
interface MixedResult {
  texts: number;
  tokens: number;
  refused: number;
  failed: number;
  seconds: number;
  latencies: number[];
}

/** Request bodies: half one text, half eight, each text 4–500 made-up words. */
function mixedBodies(
  vocabSize: number,
  n: number,
): { body: string; tokens: number; texts: number }[] {
  const rng = new Rng(11);
  const text = () =>
    Array.from({ length: 4 + rng.int(497) }, () => word(rng.int(vocabSize))).join(" ") + ".";
  return Array.from({ length: n }, (_, i) => {
    const texts = Array.from({ length: i % 2 === 0 ? 1 : 8 }, text);
    const tokens = texts.reduce((a, t) => a + tokenize(t).length, 0);
    return { body: JSON.stringify({ texts }), tokens, texts: texts.length };
  });
}

async function mixedLoad(url: string, vocabSize: number, load: ServeLoad): Promise<MixedResult> {
  const bodies = mixedBodies(vocabSize, 256);
  const run = async (seconds: number) => {
    const r: MixedResult = { texts: 0, tokens: 0, refused: 0, failed: 0, seconds, latencies: [] };
    let next = 0;
    const end = performance.now() + seconds * 1000;
    const client = async () => {
      while (performance.now() < end) {
        const b = bodies[next++ % bodies.length];
        const t0 = performance.now();
        try {
          const res = await fetch(`${url}/v1/classify`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: b.body,
          });
          await res.body?.cancel();
          if (res.status === 503) r.refused++;
          else if (res.status !== 200) r.failed++;
          // Only answers that arrive within the measured time count.
          else if (performance.now() <= end) {
            r.texts += b.texts;
            r.tokens += b.tokens;
            r.latencies.push(performance.now() - t0);
          }
        } catch {
          r.failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: load.concurrency }, client));
    return r;
  };
  await run(3);
  return await run(load.seconds);
}

/** Runs the mixed-length server benchmark against batch-32 in-process inference. */
export async function benchServeMixed(o: BenchOptions, load: ServeLoad): Promise<BenchRow[]> {
  const preset = o.preset ?? "small";
  const vocab = BENCH_VOCAB[preset];
  const dir = await Deno.makeTempDir({ prefix: "fitlam-bench-serve-mixed-" });
  try {
    await makeServeWeights(dir, preset, vocab - 16);
    o.log(
      `serve --mixed ${preset}: fitlam server, ${load.concurrency} clients, ${load.seconds} s…`,
    );
    const main = new URL("../serve/main.ts", import.meta.url).pathname;
    const server = await startServer(
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", main, "--port", "0", "--weights", dir, "--device", o.device],
        stdout: "piped",
        stderr: "inherit",
      }),
      /serving on http:\/\/[^:]+:(\d+)\//,
    );
    let m: MixedResult;
    try {
      m = await mixedLoad(server.url, vocab - 16, load);
    } finally {
      await stopServer(server.child);
    }
    if (!m.latencies.length) throw new Error("Cannot measure the server: no request succeeded");
    o.log(`serve --mixed ${preset}: batch-32 in-process inference for comparison…`);
    const { ops } = await initBackend(o.device);
    const b = await timeFitlamInfer(ops, preset, vocab, {
      tokens: 256,
      batch: 32,
      reps: 1,
      batchReps: o.quick ? 1 : 3,
    });
    const config = {
      preset,
      concurrency: load.concurrency,
      seconds: load.seconds,
      device: o.device,
    };
    const tokensPerS = m.tokens / m.seconds;
    const rows = [
      withRatio({
        name: "serve-mixed",
        config,
        fitlam: tokensPerS,
        reference: b.docsPerSecond * 256,
        unit: "tokens/s",
        referenceName: "fitlam batch-32 in-process inference of 256-token documents (bench infer)",
        note: `${(m.texts / m.seconds).toFixed(1)} texts/s; ${m.latencies.length} requests ok, ` +
          `${m.refused} refused (503), ${m.failed} failed`,
      }),
      { name: "serve-mixed-p50", config, fitlam: median(m.latencies), unit: "ms" },
      { name: "serve-mixed-p99", config, fitlam: percentile(m.latencies, 99), unit: "ms" },
    ];
    return rows;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
