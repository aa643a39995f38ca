/**
 * fitlam's documents, fastText's classifier: for a task as the trainer reads it, each labelled
 * size and seed, the same labelled documents, validation and test (`--max-train-docs` as stage 3
 * takes them, validation a tenth of the labels as the trainer keeps it) written in fastText's
 * format, then Debian's `fasttext supervised` (apt-get install fasttext) with its defaults, and
 * tuned on the validation documents (a grid as fastText's paper tunes: rate 0.1, 0.25, 0.5, 1 ×
 * epochs 5, 25 × word 1-grams or 1-2-grams, the best validation accuracy, ties to the first);
 * each scored on the test documents, beside the plain TF-IDF + LR baseline on the same labelled
 * documents. One JSON line per run:
 *
 *   deno run -A tools/fasttext_compare.ts --data TRAIN [--test TEST] [--valid VALID] [--format F] \
 *     [--max-per-class N] [--sizes 0,100,500] [--seeds 42,43,44]
 *
 * Size 0 is every labelled document. fastText splits text on whitespace only, so texts are
 * lowercased and punctuation spaced out first, as fastText's own tutorial prepares its data. One
 * thread and a seed make each fastText run repeatable. The training lines are shuffled (seeded):
 * fastText reads its file in order, and the task's documents come grouped by label (before the
 * shuffle its defaults answered one label on IMDb: 50.5%). fastText's own autotune was tried
 * first: on one thread it ran 10 minutes past a 20-second `-autotune-duration` on TREC-6.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { trainBaseline } from "../shared/baseline/mod.ts";
import { FASTTEXT_LABEL } from "../shared/fasttext.ts";
import { Rng } from "../shared/rng.ts";
import { presetConfig } from "../trainer/config.ts";
import { budgetValidation, classifierDocs, targetTask } from "../trainer/task_prep.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    test: { type: "string", default: "" },
    valid: { type: "string", default: "" },
    format: { type: "string", default: "auto" },
    "max-per-class": { type: "string", default: "0" },
    sizes: { type: "string", default: "0,100,500" },
    seeds: { type: "string", default: "42,43,44" },
  },
});
if (!values.data) {
  console.error("Cannot run: no task; pass --data PATH (and --test, --format as for the trainer)");
  Deno.exit(2);
}
const list = (s: string) => s.split(",").map(Number);

type Doc = { text: string; label: string };

/** fastText's input: a label word, then the text lowercased with its punctuation spaced out. */
function fastTextLines(docs: readonly Doc[]): string {
  return docs.map((d) => {
    const text = d.text.toLowerCase().replace(/([.!?,'"()/:;])/g, " $1 ").replace(/\s+/g, " ");
    return `${FASTTEXT_LABEL}${d.label.replace(/\s+/g, "_")} ${text.trim()}\n`;
  }).join("");
}

/** Runs `fasttext` with `args`; its standard output, or an error naming the command. */
async function fasttext(args: string[]): Promise<string> {
  const out = await new Deno.Command("fasttext", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `Cannot run fasttext ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/** Trains with `extra` arguments, then its accuracy on `file` (P@1, with one label a text). */
async function trainAndTest(dir: string, extra: string[], file: string): Promise<number> {
  const common = ["-input", `${dir}/train.txt`, "-output", `${dir}/model`, "-thread", "1"];
  await fasttext(["supervised", ...common, "-verbose", "0", ...extra]);
  const report = await fasttext(["test", `${dir}/model.bin`, `${dir}/${file}`]);
  const p1 = /P@1\s+([\d.]+)/.exec(report);
  if (!p1) throw new Error(`Cannot read fastText's test report: ${report}`);
  return Number(p1[1]);
}

/** The grid's settings with the best validation accuracy, and their test accuracy. */
async function tuned(dir: string, seed: number): Promise<{ settings: string; test: number }> {
  let best = { settings: [] as string[], valid: -1 };
  for (const lr of ["0.1", "0.25", "0.5", "1"]) {
    for (const epoch of ["5", "25"]) {
      for (const ngrams of ["1", "2"]) {
        const settings = ["-lr", lr, "-epoch", epoch, "-wordNgrams", ngrams];
        const valid = await trainAndTest(dir, [...settings, "-seed", String(seed)], "valid.txt");
        if (valid > best.valid) best = { settings, valid };
      }
    }
  }
  const test = await trainAndTest(dir, [...best.settings, "-seed", String(seed)], "test.txt");
  return { settings: best.settings.join(" "), test };
}

for (const seed of list(values.seeds)) {
  const c = presetConfig("small");
  Object.assign(c, {
    data: values.data,
    test: values.test,
    valid: values.valid,
    format: values.format,
    maxPerClass: Number(values["max-per-class"]),
    seed,
  });
  const full = await targetTask(c);
  for (const size of list(values.sizes)) {
    const task = budgetValidation(full, size, seed, Boolean(values.valid));
    const labelled = classifierDocs(task.train, size, seed);
    const valid = task.valid ?? [];
    const dir = await Deno.makeTempDir({ prefix: "fitlam-fasttext-" });
    await Deno.writeTextFile(
      `${dir}/train.txt`,
      fastTextLines(new Rng(seed).shuffle([...labelled])),
    );
    await Deno.writeTextFile(`${dir}/valid.txt`, fastTextLines(valid));
    await Deno.writeTextFile(`${dir}/test.txt`, fastTextLines(full.test));
    const plain = trainBaseline(labelled, { labels: task.labels });
    const predicted = plain.predict(full.test.map((d) => d.text));
    const baseline = predicted.filter((k, i) => plain.labels[k] === full.test[i].label).length /
      full.test.length;
    const started = performance.now();
    const defaults = await trainAndTest(dir, ["-seed", String(seed)], "test.txt");
    const best = valid.length ? await tuned(dir, seed) : undefined;
    await Deno.remove(dir, { recursive: true });
    console.log(JSON.stringify({
      task: task.name,
      seed,
      labelled: labelled.length,
      valid: valid.length,
      test: full.test.length,
      tfidfLr: baseline,
      fastTextDefaults: defaults,
      fastTextTuned: best?.test,
      tunedSettings: best?.settings,
      fastTextSeconds: +((performance.now() - started) / 1000).toFixed(1),
    }));
  }
}
