/**
 * The blend: the LSTM classifiers' averaged log-probabilities and the bag of words', weighted by
 * weights fitted on validation (and, with few labels, on every labelled document held out), and
 * the bag of words saved with them as `OUT/baseline/`, so the deployed classifier is the blend the
 * test scored.
 *
 * @module
 */
import { outOfFoldProbabilities } from "../../shared/baseline/cross_val.ts";
import {
  BASELINE_DIR,
  type BaselineConfig,
  baselineToSave,
  type DirectionWeights,
} from "../../shared/baseline/saved.ts";
import type { Direction } from "../../shared/model/io.ts";
import { blendProbabilities, type BlendWeights } from "../../shared/classify.ts";
import { type ModelToSave, saveModelFolder } from "../../shared/weights/folder.ts";
import { bagOfWordsAlone, chooseBlendWeights } from "../blend.ts";
import { SMALL_VALIDATION } from "../../shared/confusion.ts";
import type { LabeledDoc } from "../data/mod.ts";
import { pct } from "../report/common.ts";
import { score, type ScoredBaseline, type SelfTrainSummary, texts } from "./baseline.ts";
import type { RunContext } from "./context.ts";

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
  const { blend, blendByDirection = {} } = toSave.config as BaselineConfig;
  const terms = toSave.tensors.idf.shape[0];
  let bytes = 0;
  for await (const f of Deno.readDir(dir)) bytes += (await Deno.stat(`${dir}/${f.name}`)).size;
  const alone = Object.entries(blendByDirection).map(([d, w]) =>
    `, ${d} alone ${JSON.stringify(w)}`
  );
  console.error(
    `blend: saved ${dir}/ (${terms.toLocaleString("en-US")} n-grams, ` +
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
