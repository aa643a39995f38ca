/**
 * The bag-of-words model beside the LSTM classifiers: trained on the documents stage 3 trained
 * on and scored on the test split (the baseline every evaluation prints), then blended with the
 * classifiers' averaged probabilities by weights fitted on validation and saved as
 * `OUT/baseline/`, so the deployed classifier is the blend the test scored.
 *
 * @module
 */
import {
  type Baseline,
  DEFAULT_MAX_WEIGHTS,
  type TfidfOptions,
  trainBaseline,
} from "../../shared/baseline/mod.ts";
import { outOfFoldProbabilities } from "../../shared/baseline/cross_val.ts";
import { defaultFolds, selfTrain, type SelfTrainRound } from "../../shared/baseline/self_train.ts";
import {
  BASELINE_DIR,
  type BaselineConfig,
  baselineFromLoaded,
  baselineToSave,
  type BlendBaseline,
  type DirectionWeights,
} from "../../shared/baseline/saved.ts";
import type { Direction } from "../../shared/model/io.ts";
import { blendProbabilities, type BlendWeights } from "../../shared/classify.ts";
import { type ModelToSave, saveModelFolder } from "../../shared/weights/folder.ts";
import { bagOfWordsAlone, chooseBlendWeights } from "../blend.ts";
import { scoreProbabilities, SMALL_VALIDATION } from "../../shared/confusion.ts";
import type { LabeledDoc } from "../data/mod.ts";
import type { RunContext } from "./context.ts";

/** What `test.json` keeps of the baseline. */
export interface BaselineSummary {
  name: string;
  accuracy: number;
  C: number;
  seconds: number;
  trainDocs: number;
}

/** What `test.json` keeps of the blend. */
export interface BlendSummary {
  weights: BlendWeights;
  valid: { lm: number; baseline: number; blend: number };
  accuracy: number;
  features: number;
  /** The bag of words serves alone: validation too small to fit weights on (`bagOfWordsAlone`). */
  bowAlone?: true;
  /**
   * Documents the weights were fitted on, where more than validation: each labelled document's
   * held-out answers (`classify.heldOutFolds`) besides the validation ones.
   */
  fittedOn?: number;
}

/** A model's answers on documents it never trained on, where validation is small. */
export interface HeldOut {
  /** Its accuracy on them. */
  accuracy: number;
  /** Its class probabilities on each of stage 3's labelled documents, out of fold. */
  probs?: Float32Array[];
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

/**
 * Where validation is small (under `SMALL_VALIDATION` documents), the served bag of words on
 * documents it never trained on: its accuracy (self-training's check when its out-of-fold part
 * ran, else the plain baseline's, each labelled document scored out of 5 folds) and, with
 * `withProbs` (the LSTMs have held-out answers to fit the blend beside), its class probabilities
 * on each labelled document out of fold. Undefined where validation is large.
 */
export function heldOutBagOfWords(
  ctx: RunContext,
  plain: ScoredBaseline,
  self?: { summary: SelfTrainSummary; outOfFold?: Float32Array[] },
  withProbs = false,
): HeldOut | undefined {
  const validDocs = ctx.task.valid?.length ?? 0;
  if (validDocs >= SMALL_VALIDATION) return undefined;
  const s = self?.summary;
  if (s && s.heldOut > validDocs && (s.chosen >= 0 || !withProbs)) {
    const accuracy = s.chosen >= 0 ? s.rounds[s.chosen].valid : s.plainValid;
    return { accuracy, probs: withProbs ? self!.outOfFold : undefined };
  }
  const probs = outOfFoldProbabilities(ctx.stage3Docs, plain.trained);
  if (!probs) return undefined;
  const accuracy = score(probs, ctx.stage3Docs, ctx).accuracy;
  console.error(
    `baseline: ${pct(accuracy)} of the ${ctx.stage3Docs.length} labelled documents right, ` +
      `each scored by a model trained without it (5 folds; validation has only ${validDocs})`,
  );
  return { accuracy, probs: withProbs ? probs : undefined };
}

/** The LSTMs' answers: averaged on validation and test, held out where stage 3 ran its folds. */
export interface LstmAnswers {
  valid: Float32Array[];
  test: Float32Array[];
  /** On stage 3's labelled documents, out of fold (`held_out.ts`). */
  heldOut?: Float32Array[];
}

/**
 * The documents to fit blend weights on and both models' answers there: validation, and where
 * both have held-out answers on the labelled documents, those too.
 */
function fittingSet(
  ctx: RunContext,
  lm: Omit<LstmAnswers, "test">,
  bowValid: Float32Array[],
  bow?: HeldOut,
): { lm: Float32Array[]; bow: Float32Array[]; truth: number[]; held: boolean } {
  const { labels, valid = [] } = ctx.task;
  const truthOf = (docs: readonly LabeledDoc[]) => docs.map((d) => labels.indexOf(d.label));
  if (!lm.heldOut || !bow?.probs) {
    return { lm: lm.valid, bow: bowValid, truth: truthOf(valid), held: false };
  }
  return {
    lm: [...lm.heldOut, ...lm.valid],
    bow: [...bow.probs, ...bowValid],
    truth: truthOf([...ctx.stage3Docs, ...valid]),
    held: true,
  };
}

/**
 * Fits the blend weights (on validation, and on the labelled documents' held-out answers where
 * there are some), scores the blend on the test split, logs it and saves the bag-of-words model
 * with the weights (`OUT/baseline/`), which every loader then applies. Returns the summary and
 * the blend's test probabilities.
 */
export async function blendIn(
  ctx: RunContext,
  lm: LstmAnswers,
  baseline: ScoredBaseline,
  byDirection: Partial<Record<Direction, Omit<LstmAnswers, "test">>> = {},
  bowHeldOut?: HeldOut,
): Promise<{ summary: BlendSummary; test: Float32Array[] }> {
  const { task, log } = ctx, valid = task.valid!;
  const { model } = baseline;
  const bowValid = model.predictProba(texts(valid));
  const set = fittingSet(ctx, lm, bowValid, bowHeldOut);
  const fitted = chooseBlendWeights(set.lm, set.bow, set.truth);
  const alone = !set.held && bagOfWordsAlone(fitted.valid.lm, bowHeldOut?.accuracy);
  const weights = alone ? { lm: 0, baseline: 1 } : fitted.weights;
  const validAccuracy = alone ? { ...fitted.valid, blend: fitted.valid.baseline } : fitted.valid;
  if (alone) {
    console.error(
      `blend: the bag of words serves alone: on ${valid.length} validation documents the ` +
        `classifiers' ${pct(fitted.valid.lm)} is no better than its ` +
        `${pct(bowHeldOut!.accuracy)} on the documents it never trained on (too few to fit ` +
        "blend weights on)",
    );
  }
  if (set.held) {
    console.error(
      `blend: weights fitted on ${set.truth.length} documents, each answered by models that ` +
        `never trained on it (${ctx.stage3Docs.length} labelled, out of fold, and ` +
        `${valid.length} validation): the classifiers ${pct(fitted.valid.lm)}, the bag of words ` +
        `${pct(fitted.valid.baseline)}, the blend ${pct(fitted.valid.blend)} there`,
    );
  }
  // For a classifier loaded with one direction only (serve --direction).
  const weightsByDirection: DirectionWeights = {};
  for (const [dir, answers] of Object.entries(byDirection)) {
    const own = fittingSet(ctx, answers, bowValid, set.held ? bowHeldOut : undefined);
    weightsByDirection[dir as Direction] = alone
      ? weights
      : chooseBlendWeights(own.lm, own.bow, own.truth).weights;
  }
  const blended = blendProbabilities(lm.test, baseline.test, weights);
  const { accuracy, confusion } = score(blended, task.test, ctx);
  await log.add({
    type: "blend",
    weights,
    valid: validAccuracy,
    ...(set.held ? { fittedOn: set.truth.length } : {}),
    accuracy,
    error: 1 - accuracy,
    labels: task.labels,
    confusion,
  });
  await saveBaseline(ctx, baselineToSave(baseline.trained, weights, weightsByDirection));
  const summary: BlendSummary = {
    weights,
    valid: validAccuracy,
    accuracy,
    features: model.features,
  };
  if (set.held) summary.fittedOn = set.truth.length;
  return { summary: alone ? { ...summary, bowAlone: true } : summary, test: blended };
}

/** Writes `OUT/baseline/` and says where, how large and how weighted. */
async function saveBaseline(ctx: RunContext, toSave: ModelToSave): Promise<void> {
  const dir = `${ctx.c.out}/${BASELINE_DIR}`;
  await saveModelFolder(dir, toSave);
  const { terms, blend, blendByDirection = {} } = toSave.config as BaselineConfig;
  let bytes = 0;
  for await (const f of Deno.readDir(dir)) bytes += (await Deno.stat(`${dir}/${f.name}`)).size;
  const alone = Object.entries(blendByDirection).map(([d, w]) =>
    `, ${d} alone ${JSON.stringify(w)}`
  );
  console.error(
    `blend: saved ${dir}/ (${terms.length.toLocaleString("en-US")} n-grams, ` +
      `${(bytes / 2 ** 20).toFixed(1)} MB), blended with weights ${JSON.stringify(blend)}` +
      alone.join(""),
  );
}

/**
 * Removes `out/baseline/` if it is there: its blend weights were fitted for other classifiers
 * (stage 3 calls this before saving new ones; evaluate when it will not blend).
 */
export async function removeBaseline(out: string): Promise<void> {
  try {
    await Deno.remove(`${out}/${BASELINE_DIR}`, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

function texts(docs: readonly LabeledDoc[]): string[] {
  return docs.map((d) => d.text);
}

/** Accuracy and confusion of `probs` against `docs`' labels. */
function score(probs: Float32Array[], docs: readonly LabeledDoc[], ctx: RunContext) {
  const { labels } = ctx.task;
  return scoreProbabilities(probs, docs.map((d) => labels.indexOf(d.label)), labels.length);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
