/**
 * The test evaluation: each direction's classifier on the test split, their average, the
 * bag-of-words baseline on the same documents, their blend (weighted on validation), and
 * `test.json`.
 *
 * @module
 */
import { averageProbabilities } from "../../shared/classify.ts";
import type { TextClassifier } from "../../shared/model/classifier.ts";
import { type Direction, loadClassifierModel } from "../../shared/model/io.ts";
import { loadClassifier, predictProbabilities } from "../../shared/pipeline.ts";
import { ProgressBar } from "../../shared/progress.ts";
import { Vocab } from "../../shared/tokenizer/vocab.ts";
import { writeFileAtomic } from "../../shared/weights/atomic.ts";
import { scoreProbabilities } from "../../shared/confusion.ts";
import { type ClassReport, classReport, missedLabels } from "../../shared/class_report.ts";
import { count } from "../lm_data.ts";
import { confidentMistakes, explainMistakes, type Mistake } from "../mistakes.ts";
import { encodeDocs } from "../task_prep.ts";
import {
  type BaselineSummary,
  scoreBaseline,
  selfTrainedBaseline,
  type SelfTrainSummary,
  servedBagOfWords,
} from "./baseline.ts";
import {
  blendIn,
  type BlendSummary,
  heldOutBagOfWords,
  type LstmAnswers,
  removeBaseline,
} from "./blend_in.ts";
import { savedHeldOut } from "./classify.ts";
import type { RunContext } from "./context.ts";

/** The test scores a run reports. */
export interface TestScores {
  test: Partial<Record<Direction | "avg", number>>;
  /** Confusion matrix of the averaged classifier on the test split: rows true, columns predicted. */
  confusion?: { labels: string[]; counts: number[][] };
  /** The bag-of-words baseline on the same split (TF-IDF 1-2-grams + logistic regression). */
  baseline?: BaselineSummary;
  /**
   * The bag of words blended in, where it is not the baseline itself (`bowCharNgrams`,
   * `classify.balanceLabels`), as trained on the labels.
   */
  bagOfWords?: BaselineSummary;
  /** The baseline self-trained on the task's unlabelled text before the blend. */
  selfTrain?: SelfTrainSummary;
  /** The classifiers' average with the baseline blended in: what `OUT/` now serves. */
  blend?: BlendSummary;
  /** Per-label precision, recall and F1 of what `OUT/` now serves (the blend, else the average). */
  served?: ClassReport & { of: "blend" | "avg" };
}

/**
 * One direction's class probabilities on the validation and test splits, and on stage 3's
 * labelled documents out of fold where its held-out folds ran (`held_out.ts`).
 */
export interface SplitProbabilities {
  valid: Float32Array[];
  test: Float32Array[];
  heldOut?: Float32Array[];
}

/**
 * Class probabilities of each validation and test document under a direction's classifier:
 * `trained` (which this frees), else the one saved in OUT/classifier-DIR.
 */
export async function splitProbabilities(
  ctx: RunContext,
  dir: Direction,
  trained?: { clf: TextClassifier; vocab: Vocab },
): Promise<SplitProbabilities> {
  const { clf, vocab } = trained ?? await savedClassifier(ctx, dir);
  try {
    const { task } = ctx;
    const valid = await scored(
      clf,
      encodeDocs(vocab, task.valid ?? [], task.labels, dir),
      `valid ${dir}`,
    );
    const test = await scored(clf, encodeDocs(vocab, task.test, task.labels, dir), `test ${dir}`);
    const heldOut = await savedHeldOut(ctx, dir);
    return heldOut ? { valid, test, heldOut } : { valid, test };
  } finally {
    clf.dispose();
  }
}

async function scored(
  clf: TextClassifier,
  docs: { ids: Int32Array }[],
  label: string,
): Promise<Float32Array[]> {
  if (!docs.length) return [];
  // Progress in tokens: the batches run shortest first, so documents would mislead the ETA.
  const ids = docs.map((d) => d.ids);
  const bar = new ProgressBar({ label, total: count(ids) });
  const started = performance.now();
  const probs = await predictProbabilities(clf, ids, 32, (n, tok) =>
    bar.update(tok, {
      docs: n,
      "tok/s": Math.round(tok / ((performance.now() - started) / 1000)),
    }));
  bar.finish();
  return probs;
}

async function savedClassifier(ctx: RunContext, dir: Direction) {
  const loaded = await loadClassifierModel(ctx.ops, `${ctx.c.out}/classifier-${dir}`);
  return { clf: loaded.clf, vocab: Vocab.fromItos(loaded.config.vocab) };
}

/**
 * Scores each direction and their average on the test split, logging each, then the baseline
 * and the blend of the two (or, with `blend` off, removes a stale `OUT/baseline/`).
 */
export async function scoreTest(
  ctx: RunContext,
  probsOf: Partial<Record<Direction, SplitProbabilities>>,
): Promise<TestScores> {
  const { task, log, c } = ctx;
  const dirs = Object.keys(probsOf) as Direction[];
  const truth = task.test.map((d) => task.labels.indexOf(d.label));
  const heldOut = dirs.every((d) => probsOf[d]!.heldOut)
    ? averageProbabilities(dirs.map((d) => probsOf[d]!.heldOut!))
    : undefined;
  const avg = {
    valid: averageProbabilities(dirs.map((d) => probsOf[d]!.valid)),
    test: averageProbabilities(dirs.map((d) => probsOf[d]!.test)),
    ...(heldOut ? { heldOut } : {}),
  };
  const rows: [Direction | "avg", Float32Array[]][] = [
    ...dirs.map((d) => [d, probsOf[d]!.test] as [Direction, Float32Array[]]),
    ["avg", avg.test],
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
  const blend = c.blend && c.baseline && !!task.valid?.length;
  if (c.blend && c.baseline && !blend) {
    console.error("blend: no validation documents to weigh it on; the classifiers serve alone");
  }
  // A bag-of-words model from an earlier evaluation must not be served beside these classifiers.
  if (!blend) await removeBaseline(c.out);
  const served = c.baseline ? await withBaseline(ctx, scores, probsOf, avg, blend) : avg.test;
  const of = scores.blend ? "blend" : "avg";
  if (served.length) {
    const { confusion } = scoreProbabilities(served, truth, task.labels.length);
    scores.served = { of, ...classReport(task.labels, confusion) };
  }
  await logMistakes(ctx, served, truth, of);
  return scores;
}

/**
 * Scores the bag-of-words baseline into `scores` and, with `blend`, blends it in (after
 * self-training it where set); returns what OUT/ then serves on the test split.
 */
async function withBaseline(
  ctx: RunContext,
  scores: TestScores,
  probsOf: Partial<Record<Direction, SplitProbabilities>>,
  avg: LstmAnswers,
  blend: boolean,
): Promise<Float32Array[]> {
  const baseline = await scoreBaseline(ctx);
  scores.baseline = baseline.summary;
  if (!blend) return avg.test;
  const dirs = Object.keys(probsOf) as Direction[];
  // Each direction's own weights too, when the average is of two.
  const byDirection = dirs.length > 1
    ? Object.fromEntries(
      dirs.map((d) => [d, { valid: probsOf[d]!.valid, heldOut: probsOf[d]!.heldOut }]),
    )
    : {};
  const plain = await servedBagOfWords(ctx, baseline);
  if (plain !== baseline) scores.bagOfWords = plain.summary;
  const self = ctx.c.selfTrain ? await selfTrainedBaseline(ctx, plain) : undefined;
  if (self) scores.selfTrain = self.summary;
  const bow = heldOutBagOfWords(ctx, plain, self, !!avg.heldOut);
  const blended = await blendIn(ctx, avg, self?.scored ?? plain, byDirection, bow);
  scores.blend = blended.summary;
  return blended.test;
}

/** Logs the served classifier's most confident test mistakes (a `mistakes` row) and says so. */
async function logMistakes(
  ctx: RunContext,
  probs: Float32Array[],
  truth: number[],
  of: "blend" | "avg",
) {
  const { task } = ctx;
  if (!probs.length) return;
  const texts = task.test.map((d) => d.text);
  const m = confidentMistakes(probs, truth, task.labels, texts);
  if (m.wrong) {
    console.error(
      `mistakes: ${m.wrong.toLocaleString("en-US")} of ${m.total.toLocaleString("en-US")} test ` +
        `documents answered wrong; the ${m.top.length} most confident are listed in report.html`,
    );
  }
  m.top = await withBecause(ctx, m.top, texts, of === "blend");
  await ctx.log.add({ type: "mistakes", of, ...m });
}

/**
 * The mistakes with the words that spoke most for each wrong answer, from the classifier the
 * folder now serves (loaded from OUT/ as `deno task serve` loads it); one extra classification of a
 * document per piece of its text (at most `BECAUSE.maxPieces`), timed and printed.
 */
async function withBecause(ctx: RunContext, top: Mistake[], texts: string[], blend: boolean) {
  if (!top.length) return top;
  const started = performance.now();
  const clf = await loadClassifier(ctx.c.out, { blend });
  try {
    const explained = await explainMistakes(clf, top, texts);
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `mistakes: the words behind those ${top.length} answers found in ${seconds.toFixed(2)} s`,
    );
    return explained;
  } finally {
    clf.dispose();
  }
}

/**
 * A warning for each label the served classifier seldom finds on the test split (`missedLabels`),
 * with how rare it was among the labelled documents it trained on and the fix.
 */
export function missedLabelWarnings(
  served: ClassReport | undefined,
  trainLabels: string[],
  balanced = false,
): string[] {
  if (!served) return [];
  const n = trainLabels.length;
  return missedLabels(served).map((l) => {
    const k = trainLabels.filter((t) => t === l.label).length;
    const found = Math.round(l.recall * l.support);
    // Under half its share of an even split: stage 3's loss may be what drowns it.
    const rare = !balanced && k / Math.max(1, n) < 0.5 / served.perLabel.length;
    return `the served classifier finds few documents labelled "${l.label}": ${found} of its ` +
      `${l.support} test documents (recall ${(100 * l.recall).toFixed(1)}%); ${k} of the ` +
      `${n} labelled training documents (${(100 * k / Math.max(1, n)).toFixed(1)}%) carry it. ` +
      `Add labelled examples of "${l.label}" before relying on it for that label` +
      (rare
        ? `, or weigh the labels alike in stage 3 (\`--config\` with ` +
          `{"classify": {"balanceLabels": true}}; RESULTS.md: a label of 1.5% went from 1% to 37% recall)`
        : "");
  });
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
        ...(scores.bagOfWords ? { bagOfWords: scores.bagOfWords } : {}),
        ...(scores.selfTrain ? { selfTrain: scores.selfTrain } : {}),
        ...(scores.blend ? { blend: scores.blend } : {}),
        ...(scores.served ? { served: scores.served } : {}),
        ...(warnings ? { warnings } : {}),
      },
      null,
      2,
    ),
  );
}
