/**
 * `deno task bench infer`: classifier inference on random 256-token
 * documents through the library's prediction path
 * (`predictProbabilities`: BPT3C chunks, concat pooling, head, softmax):
 * batch-1 latency and batch-32 throughput, against bench/torch_infer.py.
 *
 * @module
 */
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset, type PresetName } from "../shared/model/config.ts";
import type { Ops } from "../shared/ops/ops.ts";
import { predictProbabilities } from "../shared/pipeline.ts";
import { Rng } from "../shared/rng.ts";
import {
  type BenchOptions,
  type BenchRow,
  findTorch,
  kernelsLabel,
  median,
  NO_TORCH,
  runReference,
  withRatio,
} from "./common.ts";
import { BENCH_VOCAB } from "./train.ts";

/** Random documents of `tokens` ids (never the padding or unknown ids). */
export function randomDocs(n: number, tokens: number, vocab: number, seed = 2): Int32Array[] {
  const rng = new Rng(seed);
  return Array.from(
    { length: n },
    () => Int32Array.from({ length: tokens }, () => 2 + rng.int(vocab - 2)),
  );
}

/** Times fitlam's classifier: median ms for one document, and documents/s in batches. */
export async function timeFitlamInfer(
  ops: Ops,
  preset: PresetName,
  vocab: number,
  opts: { tokens: number; batch: number; reps: number; batchReps: number },
): Promise<{ latencyMs: number; docsPerSecond: number }> {
  const clf = new TextClassifier(ops, encoderPreset(preset, vocab), headPreset(2));
  try {
    const one = randomDocs(1, opts.tokens, vocab, 3);
    const many = randomDocs(opts.batch, opts.tokens, vocab, 4);
    const time = async (docs: Int32Array[], warmup: number, reps: number) => {
      for (let i = 0; i < warmup; i++) await predictProbabilities(clf, docs, opts.batch);
      const t: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        await predictProbabilities(clf, docs, opts.batch);
        t.push(performance.now() - t0);
      }
      return median(t);
    };
    const latencyMs = await time(one, 2, opts.reps);
    const batchMs = await time(many, 1, opts.batchReps);
    return { latencyMs, docsPerSecond: opts.batch / (batchMs / 1000) };
  } finally {
    clf.dispose();
  }
}

/** Runs the inference benchmark (preset small unless --preset). */
export async function benchInfer(o: BenchOptions): Promise<BenchRow[]> {
  const { ops, description, backend } = await initBackend(o.device);
  const preset = o.preset ?? "small";
  const vocab = BENCH_VOCAB[preset];
  const tokens = 256, batch = o.bs ?? 32;
  const reps = o.quick ? 3 : 10, batchReps = o.quick ? 1 : 3;
  o.log(`infer ${preset}: fitlam (${description})…`);
  const f = await timeFitlamInfer(ops, preset, vocab, { tokens, batch, reps, batchReps });
  const base = { preset, tokens, vocab, backend: description, kernels: kernelsLabel(backend) };
  const latency: BenchRow = {
    name: "infer-latency",
    config: { ...base, batch: 1 },
    fitlam: f.latencyMs,
    unit: "ms",
  };
  const throughput: BenchRow = {
    name: "infer-throughput",
    config: { ...base, batch },
    fitlam: f.docsPerSecond,
    unit: "docs/s",
  };
  const py = o.noReference ? null : await findTorch();
  if (!py && !o.noReference) o.log(NO_TORCH);
  if (py) {
    const dev = o.referenceDevice ?? "cpu";
    o.log(`infer ${preset}: PyTorch ${py.torch} on ${dev}, ${o.threads} threads…`);
    const r = await runReference(py, "torch_infer.py", [
      "--device",
      dev,
      "--preset",
      preset,
      "--vocab",
      String(vocab),
      "--tokens",
      String(tokens),
      "--batch",
      String(batch),
      "--reps",
      String(reps),
      "--batch-reps",
      String(batchReps),
    ], o.threads).catch((e: Error) => {
      latency.note = `reference failed: ${e.message.split("\n")[0]}`;
      o.log(latency.note);
      return undefined;
    });
    if (r) {
      const name = `PyTorch ${r.torch} ${
        dev === "cpu" ? "CPU" : r.device
      }, ${r.threads} CPU threads (bench/torch_infer.py)`;
      latency.reference = r.latency_ms as number;
      throughput.reference = r.docs_per_second as number;
      latency.referenceName = throughput.referenceName = name;
    }
  }
  return [withRatio(latency), withRatio(throughput)];
}
