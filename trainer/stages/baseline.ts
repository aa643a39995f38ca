/**
 * The bag-of-words model beside the LSTM classifiers: trained on the documents stage 3 trained
 * on and scored on the test split (the baseline every evaluation prints, and the bag of words
 * blended in where it differs), and self-trained on the task's unlabelled text. The blend itself
 * is `blend_in.ts`.
 *
 * @module
 */
import {
  type Baseline,
  DEFAULT_MAX_WEIGHTS,
  type TfidfOptions,
  trainBaseline,
} from "../../shared/baseline/mod.ts";
import { defaultFolds, selfTrain, type SelfTrainRound } from "../../shared/baseline/self_train.ts";
import {
  baselineFromLoaded,
  baselineToSave,
  type BlendBaseline,
} from "../../shared/baseline/saved.ts";
import { scoreProbabilities } from "../../shared/confusion.ts";
import type { LabeledDoc } from "../data/mod.ts";
import { pct } from "../report/common.ts";
import type { RunContext } from "./context.ts";

/** What `test.json` keeps of the baseline. */
export interface BaselineSummary {
  name: string;
  accuracy: number;
  C: number;
  seconds: number;
  trainDocs: number;
}

/** What `test.json` keeps of the self-training (`trainer/config.ts` `selfTrain`). */
export interface SelfTrainSummary {
  /** Unlabelled documents it read. */
  unlabelled: number;
  /**
   * Held-out accuracy (validation, and with small validation the labelled documents out of
   * fold) of the plain baseline and of each round (round 0: the labels alone).
   */
  plainValid: number;
  /** The documents that check held out. */
  heldOut: number;
  rounds: SelfTrainRound[];
  /** The round blended in; −1: the plain baseline. */
  chosen: number;
  /** Test accuracy of the bag-of-words model blended in. */
  accuracy: number;
  seconds: number;
}

/** The trained baseline: its summary, the model as saved (float32), its test probabilities. */
export interface ScoredBaseline {
  summary: BaselineSummary;
  model: BlendBaseline;
  test: Float32Array[];
  trained: Baseline;
}

/**
 * Trains and scores the bag-of-words baseline on the documents stage 3 trained on and logs the
 * row the report shows. It scores the model as it will be saved (float32), so the blend fitted
 * on its answers is the one loaders compute.
 */
export async function scoreBaseline(ctx: RunContext): Promise<ScoredBaseline> {
  console.error(
    `baseline: TF-IDF (word 1-2-grams) + logistic regression on the same ` +
      `${ctx.stage3Docs.length} training documents, C chosen on 10% of them…`,
  );
  return await scoredAndLogged(ctx, trainedBagOfWords(ctx, {}, "baseline"), "tfidf-lr");
}

/**
 * `b` scored on the test split as it will be saved, with a metrics row of its name (the report
 * lists each name) and the summary `test.json` keeps.
 */
async function scoredAndLogged(
  ctx: RunContext,
  b: Baseline,
  name: string,
): Promise<ScoredBaseline> {
  const { model, test, accuracy, confusion } = scoredOnTest(ctx, b);
  const summary = { name, accuracy, C: b.C, seconds: b.seconds, trainDocs: ctx.stage3Docs.length };
  await ctx.log.add({
    type: "baseline",
    ...summary,
    confusion,
    labels: ctx.task.labels,
    features: b.features,
  });
  return { summary, model, test, trained: b };
}

/** A bag of words trained on stage 3's documents, saying where its vocabulary was bounded. */
function trainedBagOfWords(
  ctx: RunContext,
  options: { tfidf?: TfidfOptions; balanced?: boolean },
  who: string,
): Baseline {
  const b = trainBaseline(ctx.stage3Docs, { labels: ctx.task.labels, ...options });
  const { total, kept } = b.vocabulary;
  if (kept < total) {
    const n = (x: number) => x.toLocaleString("en-US");
    const chars = options.tfidf?.charMaxFeatures;
    console.error(
      `${who}: kept the ${n(kept)} n-grams found in the most documents, of ${n(total)}, within ` +
        (chars ? `${n(chars)} character n-grams (bowCharFeatures) and ` : "") +
        `the logistic regression's bound of ${n(DEFAULT_MAX_WEIGHTS)} weights (n-grams × ` +
        "(classes − 1))",
    );
  }
  return b;
}

/**
 * The bag of words to self-train and blend in where it differs from the printed baseline: it
 * reads character n-grams too (`bowCharNgrams`), or weighs the labels alike as stage 3 does
 * (`classify.balanceLabels`); otherwise the baseline itself serves. Scored on the test split.
 */
export async function servedBagOfWords(
  ctx: RunContext,
  baseline: ScoredBaseline,
): Promise<ScoredBaseline> {
  let [charNgramMin, charNgramMax] = ctx.c.bowCharNgrams;
  if (charNgramMax && willSelfTrain(ctx)) {
    // Measured (RESULTS.md, nineteenth session): with character n-grams the plain model starts
    // stronger and self-training's rounds rarely beat it beyond chance, so it lost its gain.
    console.error(
      "bag of words: word n-grams alone (bowCharNgrams applies where it does not self-train)",
    );
    charNgramMin = charNgramMax = 0;
  }
  const balanced = ctx.c.classify.balanceLabels;
  if (!charNgramMax && !balanced) return baseline;
  console.error(
    `bag of words: TF-IDF of word 1-2-grams` +
      (charNgramMax ? ` and character ${charNgramMin}-${charNgramMax}-grams within words` : "") +
      " + logistic regression" + (balanced ? ", each label weighed alike" : "") +
      ", C chosen on 10% of the same documents, to blend in…",
  );
  const tfidf = charNgramMax
    ? { charNgramMin, charNgramMax, charMaxFeatures: ctx.c.bowCharFeatures }
    : {};
  const b = trainedBagOfWords(ctx, { tfidf, balanced }, "bag of words");
  const name = "tfidf-lr" + (charNgramMax ? `+chars${charNgramMin}-${charNgramMax}` : "") +
    (balanced ? "+balanced" : "");
  const scored = await scoredAndLogged(ctx, b, name);
  console.error(
    `bag of words: test ${pct(scored.summary.accuracy)} (words alone: ` +
      `${pct(baseline.summary.accuracy)}), C ${b.C}, ${b.features.toLocaleString("en-US")} ` +
      `features, ${b.seconds.toFixed(1)} s`,
  );
  return scored;
}

/** `b` as it will be saved (float32) and its test probabilities and score. */
function scoredOnTest(ctx: RunContext, b: Baseline) {
  const toSave = baselineToSave(b, { lm: 1, baseline: 0 });
  const model = baselineFromLoaded({ ...toSave, config: { ...toSave.config }, checksum: "" }, "");
  const test = model.predictProba(texts(ctx.task.test));
  return { model, test, ...score(test, ctx.task.test, ctx) };
}

/**
 * The task's unlabelled text: its unlabelled documents and the training documents stage 3 did
 * not take (`--max-train-docs`); never the validation or test documents.
 */
export function unlabelledTexts(ctx: Pick<RunContext, "task" | "stage3Docs">): string[] {
  const taken = new Set(ctx.stage3Docs);
  return [
    ...ctx.task.train.filter((d) => !taken.has(d)).map((d) => d.text),
    ...ctx.task.unlabeled ?? [],
  ];
}

/** "round 3", "round 0 with LSA": the self-training round kept (`chosen` ≥ 0). */
export function keptRound(s: Pick<SelfTrainSummary, "rounds" | "chosen">): string {
  const r = s.rounds?.[s.chosen];
  return r ? `round ${r.round}${r.lsa ? " with LSA" : ""}` : `round ${s.chosen}`;
}

/** Whether evaluate will self-train the bag of words: it is on and there is text to do it on. */
export function willSelfTrain(ctx: RunContext): boolean {
  return ctx.c.selfTrain && !!ctx.task.valid?.length && unlabelledTexts(ctx).length > 0;
}

/**
 * Self-trains the baseline on the task's unlabelled text ({@linkcode unlabelledTexts}) and
 * returns the model to blend in (the plain one unless a round did better on validation), with
 * the summary `test.json` keeps; undefined when there is no unlabelled text.
 */
export async function selfTrainedBaseline(
  ctx: RunContext,
  plain: ScoredBaseline,
): Promise<
  { scored: ScoredBaseline; summary: SelfTrainSummary; outOfFold?: Float32Array[] } | undefined
> {
  const unlabelled = unlabelledTexts(ctx);
  if (!unlabelled.length) {
    console.error("self-training: skipped, the task has no unlabelled text (`--unlabeled FILE`)");
  }
  if (!unlabelled.length || !ctx.task.valid?.length) return undefined;
  console.error(
    `self-training: the bag of words on ${unlabelled.length.toLocaleString("en-US")} ` +
      `unlabelled documents beside the ${ctx.stage3Docs.length} labelled ones, 5 rounds on ` +
      "TF-IDF and 5 with the LSA coordinates of all the text; a round replaces " +
      "the plain baseline only if it beats it beyond chance on held-out documents (validation" +
      (defaultFolds(ctx.task.valid.length, ctx.stage3Docs.length)
        ? `, only ${ctx.task.valid.length}, and each labelled one out of 5 folds, which takes ` +
          "six times as long"
        : "") +
      "; `--no-self-train` skips this)…",
  );
  const r = selfTrain(ctx.stage3Docs, unlabelled, ctx.task.valid, plain.trained, {
    log: (line) => console.error(line),
  });
  let scored = plain;
  if (r.chosen >= 0) {
    const { model, test, accuracy } = scoredOnTest(ctx, r.baseline);
    scored = { summary: { ...plain.summary, accuracy }, model, test, trained: r.baseline };
  }
  const summary: SelfTrainSummary = {
    unlabelled: unlabelled.length,
    plainValid: r.plainValid,
    heldOut: r.heldOut,
    rounds: r.rounds,
    chosen: r.chosen,
    accuracy: scored.summary.accuracy,
    seconds: r.seconds,
  };
  await ctx.log.add({ type: "self-train", ...summary });
  console.error(
    r.chosen < 0
      ? "self-training: no round beat the plain baseline beyond chance on the " +
        `${r.heldOut} held-out documents (${pct(r.plainValid)}); it is blended as trained on ` +
        "the labels"
      : `self-training: ${keptRound(r)} kept (${pct(r.rounds[r.chosen].valid)} of ` +
        `${r.heldOut} held-out documents right vs ` +
        `${pct(r.plainValid)}); test ${pct(summary.accuracy)} vs the plain baseline's ` +
        `${pct(plain.summary.accuracy)} (${r.seconds.toFixed(0)} s)`,
  );
  return { scored, summary, outOfFold: r.outOfFold };
}

/** The texts of `docs`. */
export function texts(docs: readonly LabeledDoc[]): string[] {
  return docs.map((d) => d.text);
}

/** Accuracy and confusion of `probs` against `docs`' labels. */
export function score(probs: Float32Array[], docs: readonly LabeledDoc[], ctx: RunContext) {
  const { labels } = ctx.task;
  return scoreProbabilities(probs, docs.map((d) => labels.indexOf(d.label)), labels.length);
}
