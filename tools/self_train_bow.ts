/**
 * The bag-of-words half of a few-label run, without the LSTMs: on a task as the trainer reads it,
 * for each labelled size and seed, the plain baseline (stage 3's seeded, label-stratified N
 * documents) and the same self-trained on the rest of the task's text as `evaluate` does it
 * (`shared/baseline/self_train.ts`), with validation kept at a tenth of the labels as the
 * trainer keeps it (`budgetValidation`). Minutes instead of the hours a full run takes, to see
 * where self-training pays and where its check holds it back:
 *
 *   deno run -A tools/self_train_bow.ts --data TRAIN [--test TEST] [--valid VALID] [--format F] \
 *     [--unlabeled FILE] [--max-per-class N] [--max-unlabeled N] --sizes 100,500 --seeds 42,43,44 \
 *     [--no-lsa] [--chars] [--min-df N]
 *
 * `--chars`: the bag of words reads character n-grams too, as the trainer's `bowCharNgrams` and
 * `bowCharFeatures` make the blended one where it does not self-train. Each round's test accuracy
 * is printed beside its held-out one, kept or not. `--min-df N`: the self-training vocabulary keeps
 * the n-grams in at least N of all the texts (`SelfTrainOptions.minDf`; default as `evaluate`).
 * Prints one JSON line per run.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { trainBaseline } from "../shared/baseline/mod.ts";
import { SELF_TRAIN_MIN_DF, selfTrain } from "../shared/baseline/self_train.ts";
import { presetConfig } from "../trainer/config.ts";
import { unlabelledTexts } from "../trainer/stages/baseline.ts";
import { budgetValidation, classifierDocs, targetTask } from "../trainer/task_prep.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    test: { type: "string", default: "" },
    valid: { type: "string", default: "" },
    format: { type: "string", default: "auto" },
    unlabeled: { type: "string", default: "" },
    "max-per-class": { type: "string", default: "0" },
    "max-unlabeled": { type: "string", default: "0" },
    sizes: { type: "string", default: "100,500" },
    seeds: { type: "string", default: "42,43,44" },
    "no-lsa": { type: "boolean", default: false },
    chars: { type: "boolean", default: false },
    "min-df": { type: "string", default: String(SELF_TRAIN_MIN_DF) },
  },
});
if (!values.data) {
  console.error("Cannot run: no task; pass --data PATH (and --test, --format as for the trainer)");
  Deno.exit(2);
}
const list = (s: string) => s.split(",").map(Number);

for (const seed of list(values.seeds)) {
  const c = presetConfig("small");
  Object.assign(c, {
    data: values.data,
    test: values.test,
    valid: values.valid,
    format: values.format,
    unlabeled: values.unlabeled,
    maxPerClass: Number(values["max-per-class"]),
    maxUnlabeled: Number(values["max-unlabeled"]),
    seed,
  });
  const full = await targetTask(c);
  const testTexts = full.test.map((d) => d.text);
  const accuracy = (predicted: number[], labels: string[]) =>
    predicted.filter((k, i) => labels[k] === full.test[i].label).length / full.test.length;
  for (const size of list(values.sizes)) {
    // As the trainer does with --max-train-docs: validation a tenth of the labels used.
    const task = budgetValidation(full, size, seed, Boolean(values.valid));
    const valid = task.valid ?? [];
    const stage3Docs = classifierDocs(task.train, size, seed);
    const unlabelled = unlabelledTexts({ task, stage3Docs });
    const [charNgramMin, charNgramMax] = c.bowCharNgrams;
    const tfidf = values.chars
      ? { charNgramMin, charNgramMax, charMaxFeatures: c.bowCharFeatures }
      : {};
    const plain = trainBaseline(stage3Docs, { labels: task.labels, tfidf });
    const roundTest: number[] = [];
    let selfVocabulary = 0;
    const r = selfTrain(stage3Docs, unlabelled, valid, plain, {
      ...(values["no-lsa"] ? { lsa: false } : {}),
      minDf: Number(values["min-df"]),
      onRound: (_, b) => {
        roundTest.push(accuracy(b.predict(testTexts), b.labels));
        selfVocabulary = b.vectorizer.size;
      },
    });
    console.log(JSON.stringify({
      task: task.name,
      labelled: stage3Docs.length,
      valid: valid.length,
      heldOut: r.heldOut,
      unlabelled: unlabelled.length,
      seed,
      plain: accuracy(plain.predict(testTexts), plain.labels),
      selfTrained: accuracy(r.baseline.predict(testTexts), r.baseline.labels),
      lsa: r.baseline.lsa?.dims ?? 0,
      chosen: r.chosen,
      plainValid: r.plainValid,
      chars: values.chars ? `${charNgramMin}-${charNgramMax}` : false,
      minDf: Number(values["min-df"]),
      selfVocabulary,
      keptVocabulary: r.baseline.vectorizer.size,
      rounds: r.rounds.map(({ round, lsa, valid, wins, losses }, i) => ({
        test: roundTest[i],
        round,
        lsa,
        valid,
        wins,
        losses,
      })),
      seconds: +r.seconds.toFixed(1),
    }));
  }
}
