/**
 * Where the time goes: runs one LM training step (after warm-up) or one
 * classifier batch under `tf.profile` and prints the kernels by total time.
 *
 * Run: `deno run -A bench/profile.ts [train|infer] [--preset small] [--bs 16] [--device wasm]`
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { initBackend } from "../shared/backend.ts";
import { TextClassifier } from "../shared/model/classifier.ts";
import { encoderPreset, headPreset, type PresetName } from "../shared/model/config.ts";
import { predictProbabilities } from "../shared/pipeline.ts";
import { randomDocs } from "./infer.ts";
import { BENCH_VOCAB, LmStepper } from "./train.ts";

/** Kernel times of one profiled run, summed by kernel name (and by shape in `byShape`). */
export interface KernelTotals {
  wallMs: number;
  kernels: { name: string; ms: number; calls: number }[];
  byShape: { key: string; ms: number; calls: number }[];
}

/** Profiles `fn` and sums kernel times. */
export async function profileKernels(fn: () => Promise<unknown>): Promise<KernelTotals> {
  const t0 = performance.now();
  const info = await tf.profile(fn as () => Promise<tf.Tensor>);
  const wallMs = performance.now() - t0;
  const by = new Map<string, { ms: number; calls: number }>();
  const byShape = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const add = (m: Map<string, { ms: number; calls: number }>, key: string) => {
      const e = m.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms, e.calls++;
      m.set(key, e);
    };
    add(by, k.name);
    add(byShape, `${k.name} ${JSON.stringify(k.inputShapes)}`);
  }
  const sorted = (m: Map<string, { ms: number; calls: number }>) =>
    [...m].map(([key, v]) => ({ key, ...v })).sort((a, b) => b.ms - a.ms);
  return {
    wallMs,
    kernels: sorted(by).map(({ key, ms, calls }) => ({ name: key, ms, calls })),
    byShape: sorted(byShape),
  };
}

if (import.meta.main) {
  const { values: v, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      preset: { type: "string", default: "small" },
      bs: { type: "string" },
      device: { type: "string", default: "wasm" },
      top: { type: "string", default: "25" },
    },
  });
  const what = positionals[0] ?? "train";
  const preset = v.preset as PresetName;
  const { ops, description } = await initBackend(v.device!);
  let totals: KernelTotals;
  if (what === "train") {
    const bs = Number(v.bs ?? 16);
    const s = new LmStepper(ops, { preset, bs, bptt: 70, vocab: BENCH_VOCAB[preset] });
    await s.step();
    await s.step();
    totals = await profileKernels(() => s.step());
    s.dispose();
  } else {
    const bs = Number(v.bs ?? 1);
    const clf = new TextClassifier(ops, encoderPreset(preset, BENCH_VOCAB[preset]), headPreset(2));
    const docs = randomDocs(bs, 256, BENCH_VOCAB[preset]);
    await predictProbabilities(clf, docs, bs);
    totals = await profileKernels(() => predictProbabilities(clf, docs, bs));
    clf.dispose();
  }
  const top = Number(v.top);
  const sum = totals.kernels.reduce((a, k) => a + k.ms, 0);
  console.log(
    `${what} ${preset} on ${description}: wall ${totals.wallMs.toFixed(0)} ms (profiled), ` +
      `kernels ${sum.toFixed(0)} ms, outside kernels ${(totals.wallMs - sum).toFixed(0)} ms`,
  );
  for (const k of totals.kernels.slice(0, top)) {
    console.log(`${k.ms.toFixed(1).padStart(9)} ms ${String(k.calls).padStart(6)}×  ${k.name}`);
  }
  console.log("\nby input shapes:");
  for (const k of totals.byShape.slice(0, top)) {
    console.log(`${k.ms.toFixed(1).padStart(9)} ms ${String(k.calls).padStart(6)}×  ${k.key}`);
  }
  Deno.exit(0);
}
