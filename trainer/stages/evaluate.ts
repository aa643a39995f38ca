/**
 * The test evaluation: each direction's classifier on the test split, their average, the
 * bag-of-words baseline on the same documents, and `test.json`.
 *
 * @module
 */
import { averageProbabilities } from "../../shared/classify.ts";
import type { TextClassifier } from "../../shared/model/classifier.ts";
import { type Direction, loadClassifierModel } from "../../shared/model/io.ts";
import { predictProbabilities } from "../../shared/pipeline.ts";
import { ProgressBar } from "../../shared/progress.ts";
import { Vocab } from "../../shared/tokenizer/vocab.ts";
import { writeFileAtomic } from "../../shared/weights/atomic.ts";
import { scoreProbabilities } from "../clf_train.ts";
import { count } from "../lm_data.ts";
import { type BaselineSummary, encodeDocs, scoreBaseline } from "../task_prep.ts";
import type { RunContext } from "./context.ts";

/** The test scores a run reports. */
export interface TestScores {
  test: Partial<Record<Direction | "avg", number>>;
  /** Confusion matrix of the averaged classifier on the test split: rows true, columns predicted. */
  confusion?: { labels: string[]; counts: number[][] };
  /** The bag-of-words baseline on the same split (TF-IDF 1-2-grams + logistic regression). */
  baseline?: BaselineSummary;
}

/**
 * Class probabilities of each test document under a direction's classifier: `trained` (which
 * this frees), else the one saved in OUT/classifier-DIR.
 */
export async function testProbabilities(
  ctx: RunContext,
  dir: Direction,
  trained?: { clf: TextClassifier; vocab: Vocab },
): Promise<Float32Array[]> {
  const { clf, vocab } = trained ?? await savedClassifier(ctx, dir);
  const docs = encodeDocs(vocab, ctx.task.test, ctx.task.labels, dir);
  // Progress in tokens: the batches run shortest first, so documents would mislead the ETA.
  const ids = docs.map((d) => d.ids);
  const bar = new ProgressBar({ label: `test ${dir}`, total: count(ids) });
  const started = performance.now();
  const probs = await predictProbabilities(clf, ids, 32, (n, tok) =>
    bar.update(tok, {
      docs: n,
      "tok/s": Math.round(tok / ((performance.now() - started) / 1000)),
    }));
  bar.finish();
  clf.dispose();
  return probs;
}

async function savedClassifier(ctx: RunContext, dir: Direction) {
  const loaded = await loadClassifierModel(ctx.ops, `${ctx.c.out}/classifier-${dir}`);
  return { clf: loaded.clf, vocab: Vocab.fromItos(loaded.config.vocab) };
}

/** Scores each direction and their average on the test split, logging each, then the baseline. */
export async function scoreTest(
  ctx: RunContext,
  probsOf: Partial<Record<Direction, Float32Array[]>>,
): Promise<TestScores> {
  const { task, log } = ctx;
  const dirs = Object.keys(probsOf) as Direction[];
  const truth = task.test.map((d) => task.labels.indexOf(d.label));
  const avg = averageProbabilities(dirs.map((d) => probsOf[d]!));
  const rows: [Direction | "avg", Float32Array[]][] = [
    ...dirs.map((d) => [d, probsOf[d]!] as [Direction, Float32Array[]]),
    ["avg", avg],
  ];
  const scores: TestScores = { test: {} };
  for (const [name, probs] of rows) {
    const { accuracy, confusion } = scoreProbabilities(probs, truth, task.labels.length);
    scores.test[name] = accuracy;
    if (name === "avg") scores.confusion = { labels: task.labels, counts: confusion };
    await log.add({
      type: "test",
      direction: name,
      accuracy,
      error: 1 - accuracy,
      labels: task.labels,
      confusion,
    });
  }
  if (ctx.c.baseline) scores.baseline = await scoreBaseline(ctx.stage3Docs, task, log);
  return scores;
}

/** Writes `test.json`: the task, the test size, the accuracies, the baseline and any warnings. */
export async function writeTestJson(
  ctx: RunContext,
  scores: TestScores,
  warnings: string[] | undefined,
): Promise<void> {
  await writeFileAtomic(
    `${ctx.c.out}/test.json`,
    JSON.stringify(
      {
        task: ctx.task.name,
        n: ctx.task.test.length,
        accuracy: scores.test,
        ...(scores.baseline ? { baseline: scores.baseline } : {}),
        ...(warnings ? { warnings } : {}),
      },
      null,
      2,
    ),
  );
}
