/**
 * Accuracy of a trained classifier's LSTMs (forward and backward averaged,
 * without a blended bag-of-words model) in fp32, fp16 and int8 on its task's
 * test set, all on the wasm CPU path (what the edge entry runs), with the
 * file sizes:
 *
 * ```sh
 * deno run -A bench/quant_accuracy.ts --weights runs/x --max-chars 300 # the default task as `small` cuts it
 * deno run -A bench/quant_accuracy.ts --weights runs/trec --format trec \
 *   --train data/trec/train_5500.label --test data/trec/TREC_10.label
 * deno run -A bench/quant_accuracy.ts --weights runs/imdb --format imdb \
 *   --train aclImdb_v1.tar.gz --max-per-class 2800 --seed 43   # the run's test subset
 * ```
 *
 * Prints one JSON line per precision.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { exitWithError, reportFailure } from "../shared/exit.ts";
import { loadCpuClassifier } from "../shared/infer/cpu_classifier.ts";
import type { WeightDtype } from "../shared/weights/quantize.ts";
import { loadDefaultTask } from "../trainer/data/default.ts";
import { loadTask, type TaskFormat } from "../trainer/data/tasks.ts";
import { quantizeClassifier } from "../trainer/quantize.ts";

async function accuracy(dir: string, texts: string[], labels: string[]): Promise<number> {
  // The LSTMs alone: a blended bag-of-words model is not quantized and would hide them.
  const clf = await loadCpuClassifier(dir, { blend: false });
  try {
    const preds = await clf.classify(texts);
    return preds.filter((p, i) => p.label === labels[i]).length / texts.length;
  } finally {
    clf.dispose();
  }
}

async function modelBytes(dir: string): Promise<number> {
  let n = 0;
  for (const d of ["fwd", "bwd"]) {
    n += await Deno.stat(`${dir}/classifier-${d}/model.safetensors`).then((s) => s.size, () => 0);
  }
  return n;
}

async function main(args: string[]): Promise<number> {
  const { values: v } = parseArgs({
    args,
    options: {
      weights: { type: "string" },
      format: { type: "string" },
      train: { type: "string" },
      test: { type: "string" },
      "max-chars": { type: "string" },
      "max-per-class": { type: "string" },
      seed: { type: "string" },
    },
  });
  if (!v.weights) {
    exitWithError("Cannot measure accuracy: pass --weights DIR (a trained classifier)");
  }
  try {
    const task = v.train
      ? await loadTask({
        format: v.format as TaskFormat,
        train: v.train,
        test: v.test,
        maxPerClass: v["max-per-class"] ? Number(v["max-per-class"]) : undefined,
        unlabeled: false,
        seed: v.seed ? Number(v.seed) : undefined,
      })
      : await loadDefaultTask({ maxChars: v["max-chars"] ? Number(v["max-chars"]) : undefined });
    const texts = task.test.map((d) => d.text), labels = task.test.map((d) => d.label);
    const tmp = await Deno.makeTempDir({ prefix: "fitlam-quant-acc-" });
    try {
      for (const dtype of ["f32", "f16", "int8"] as WeightDtype[]) {
        const dir = dtype === "f32" ? v.weights : `${tmp}/${dtype}`;
        if (dtype !== "f32") await quantizeClassifier(v.weights, dir, dtype);
        const acc = await accuracy(dir, texts, labels);
        const bytes = await modelBytes(dir);
        console.log(
          JSON.stringify({ task: task.name, n: texts.length, dtype, accuracy: acc, bytes }),
        );
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
    return 0;
  } catch (e) {
    return reportFailure(e); // a wrong path or format: one line that names it
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
