/**
 * Stage 3: the classifier on the fine-tuned encoder, trained on the task's labelled documents
 * and kept at its best validation epoch.
 *
 * @module
 */
import { labelBalancedWeights } from "../../shared/baseline/train.ts";
import { scoreProbabilities, SMALL_VALIDATION } from "../../shared/confusion.ts";
import type { AwdLstm } from "../../shared/model/awd_lstm.ts";
import { TextClassifier } from "../../shared/model/classifier.ts";
import { headPreset } from "../../shared/model/config.ts";
import { type Direction, loadLm, saveClassifier } from "../../shared/model/io.ts";
import type { ParamData } from "../../shared/model/params.ts";
import { predictProbabilities } from "../../shared/pipeline.ts";
import { Vocab } from "../../shared/tokenizer/vocab.ts";
import {
  type ClassifierStageOptions,
  type EncodedDoc,
  trainClassifier,
  trainingDocs,
} from "../clf_train.ts";
import type { TrainConfig } from "../config.ts";
import { count } from "../lm_data.ts";
import { MetricsLog } from "../metrics.ts";
import { epochsWithin, passesPerEpoch } from "../schedule.ts";
import { chanceWarning, encodeDocs } from "../task_prep.ts";
import { removeBaseline } from "./blend_in.ts";
import { directionSeed, type RunContext } from "./context.ts";
import { epochsNote, groupFactor, type StartingLm } from "./finetune.ts";
import {
  crossFit,
  type FoldRun,
  heldOutFingerprint,
  heldOutFolds,
  heldOutPath,
  type HeldOutProbs,
  readHeldOut,
  removeHeldOut,
  saveHeldOut,
} from "./held_out.ts";

/** Stage 3's settings for `epochs` epochs of `passes` passes each. */
export function classifyOptions(
  c: TrainConfig,
  dir: Direction,
  epochs: number,
  passes: number,
): ClassifierStageOptions {
  const k = c.classify;
  return {
    direction: dir,
    epochs,
    bs: k.bs,
    lr: k.lr,
    discriminativeFactor: groupFactor(c, k.discriminative),
    gradualUnfreeze: k.gradualUnfreeze,
    cosine: k.cosine,
    dropMult: k.dropMult,
    adam: c.adam,
    seed: directionSeed(c, dir),
    trainMaxTokens: k.trainMaxTokens || undefined,
    patience: k.patience || undefined,
    rampShare: k.rampShare || undefined,
    stepMemoryMB: k.stepMemoryMB,
    passes,
    checkpointDir: `${c.out}/checkpoints/classify-${dir}`,
    resume: c.resume,
  };
}

/**
 * The encoder stage 3 starts from: `finetuned` when this run fine-tuned it (or skips
 * fine-tuning), else the one a stage 2 saved in OUT/finetune-DIR.
 */
export async function classifierStart(
  ctx: RunContext,
  dir: Direction,
  finetuned: StartingLm | undefined,
): Promise<StartingLm> {
  const reuse = finetuned && (ctx.stages.includes("finetune-lm") || ctx.c.noLmFinetune);
  if (reuse) return finetuned;
  finetuned?.lm.params.dispose();
  const ft = await loadLm(ctx.ops, `${ctx.c.out}/finetune-${dir}`);
  return { lm: ft.lm, vocab: Vocab.fromItos(ft.config.vocab) };
}

/** A new classifier with the encoder `weights` (of an encoder of `config`) and the task's head. */
function classifierOn(
  ctx: RunContext,
  config: AwdLstm["config"],
  weights: Record<string, ParamData>,
  seed: number,
): TextClassifier {
  const { c, task } = ctx;
  const head = {
    ...headPreset(task.labels.length, c.finetune.bptt),
    concatPool: c.classify.concatPool,
    poolLayers: c.classify.poolLayers,
  };
  const clf = new TextClassifier(ctx.ops, config, head, seed);
  clf.encoder.params.load(weights);
  return clf;
}

/** An encoder's config and weights, copied out of its tensors. */
type EncoderWeights = { config: AwdLstm["config"]; weights: Record<string, ParamData> };

/**
 * A new classifier on `lm`'s weights (which it frees), stage 3's encoded documents, and with
 * `keep` a copy of the weights it started from (held only then: a `paper` encoder is ~100 MB).
 */
export async function classifierInputs(
  ctx: RunContext,
  dir: Direction,
  lm: AwdLstm,
  vocab: Vocab,
  keep = false,
): Promise<{ clf: TextClassifier; train: EncodedDoc[]; encoder?: EncoderWeights }> {
  const encoder = { config: lm.config, weights: await lm.params.export() };
  lm.params.dispose();
  const clf = classifierOn(ctx, encoder.config, encoder.weights, directionSeed(ctx.c, dir));
  const encoded = encodeDocs(vocab, ctx.stage3Docs, ctx.task.labels, dir);
  const train = ctx.c.classify.balanceLabels
    ? balancedWeights(encoded, ctx.task.labels.length)
    : encoded;
  return keep ? { clf, train, encoder } : { clf, train };
}

/**
 * The documents with scikit-learn's "balanced" weights, n / (labels present × count of the
 * label), so that each label's documents weigh alike in all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { balancedWeights } from "./classify.ts";
 * const ids = new Int32Array(1);
 * const docs = [0, 0, 0, 1].map((label) => ({ ids, label }));
 * assert.deepEqual(balancedWeights(docs, 2).map((d) => d.weight), [4 / 6, 4 / 6, 4 / 6, 2]);
 * ```
 */
export function balancedWeights(docs: EncodedDoc[], labels: number): EncodedDoc[] {
  const w = labelBalancedWeights(docs.map((d) => d.label), labels);
  return docs.map((d, i) => ({ ...d, weight: w[i] }));
}

/** Stage 3's passes an epoch and epochs on `train` (the token budget bounds the epochs). */
function schedule(c: TrainConfig, train: EncodedDoc[]): { passes: number; epochs: number } {
  const passes = passesPerEpoch(train.length, c.classify.bs, c.classify.minEpochBatches);
  const tokens = count(trainingDocs(train, c.classify.trainMaxTokens).map((d) => d.ids));
  return {
    passes,
    epochs: epochsWithin(c.classify.tokenBudget, passes * tokens, c.classify.epochs, 2),
  };
}

/** Folds of held-out answers this run's stage 3 trains (`held_out.ts`); 0 when it will not blend. */
function foldsOf(ctx: RunContext): number {
  const { c } = ctx, valid = ctx.task.valid?.length ?? 0;
  if (!c.blend || !c.baseline || !valid) return 0;
  return heldOutFolds(c.classify.heldOutFolds, valid, ctx.stage3Docs.length);
}

/** Where a direction's held-out answers are kept and the fingerprint of this run's documents. */
async function heldOutFile(ctx: RunContext, dir: Direction, folds: number) {
  const seed = directionSeed(ctx.c, dir);
  return {
    path: heldOutPath(ctx.c.out, dir),
    fingerprint: await heldOutFingerprint(ctx.stage3Docs, folds, dir, seed),
  };
}

/**
 * The held-out answers this run's stage 3 saved for its documents (`held_out.ts`), when its
 * folds apply and all of them ran; else undefined.
 */
export async function savedHeldOut(
  ctx: RunContext,
  dir: Direction,
): Promise<Float32Array[] | undefined> {
  const folds = foldsOf(ctx);
  if (!folds) return undefined;
  const { path, fingerprint } = await heldOutFile(ctx, dir, folds);
  const probs = await readHeldOut(path, fingerprint);
  return probs?.every((p) => p) ? probs as Float32Array[] : undefined;
}

/**
 * Trains stage 3 once per fold of `docs` on the others (from the encoder `lm`, the same
 * schedule, no checkpoints) and keeps each held-out document's answer; resumes the folds a
 * stopped `--resume`d run finished. Returns the answers, one per document of `docs`, or undefined
 * when a stop came first.
 */
async function heldOutAnswers(
  ctx: RunContext,
  dir: Direction,
  lm: EncoderWeights,
  docs: EncodedDoc[],
  folds: number,
): Promise<Float32Array[] | undefined> {
  const { c } = ctx, seed = directionSeed(c, dir);
  const { path, fingerprint } = await heldOutFile(ctx, dir, folds);
  const done = c.resume ? await readHeldOut(path, fingerprint) ?? [] : [];
  const run: FoldRun = async (f, train, held) => {
    console.error(
      `stage 3 ${dir}, held-out fold ${f + 1}/${folds}: training on ${train.length} ` +
        `documents to answer for the other ${held.length}`,
    );
    const foldSeed = seed + 100 * (f + 1);
    const clf = classifierOn(ctx, lm.config, lm.weights, foldSeed);
    try {
      const foldDocs = train.map((i) => docs[i]);
      const { passes, epochs } = schedule(c, foldDocs);
      const o = { ...classifyOptions(c, dir, epochs, passes), seed: foldSeed };
      const quiet = { ...o, checkpointDir: undefined, resume: false };
      // Its steps stay out of metrics.jsonl (they would mix with the real run's curves).
      await trainClassifier(clf, foldDocs, [], quiet, new MetricsLog(), ctx.stop);
      const probs = await predictProbabilities(clf, held.map((i) => docs[i].ids));
      await logFold(
        ctx,
        dir,
        [f + 1, folds],
        [train.length, held.length],
        probs,
        held.map((i) => docs[i].label),
      );
      return probs;
    } finally {
      clf.dispose();
    }
  };
  const save = (p: HeldOutProbs) => saveHeldOut(path, fingerprint, folds, p);
  const labels = docs.map((d) => d.label);
  return await crossFit(labels, folds, done, run, save, () => ctx.stop.requested);
}

/** Says how a held-out fold scored on the documents it left out, and logs it. */
async function logFold(
  ctx: RunContext,
  dir: Direction,
  [fold, folds]: [number, number],
  [trainDocs, heldDocs]: [number, number],
  probs: Float32Array[],
  truth: number[],
) {
  const { accuracy } = scoreProbabilities(probs, truth, ctx.task.labels.length);
  console.error(
    `stage 3 ${dir}, held-out fold ${fold}/${folds}: ${(100 * accuracy).toFixed(1)}% on the ` +
      `${heldDocs} documents it left out`,
  );
  await ctx.log.add({
    type: "held-out",
    direction: dir,
    fold,
    folds,
    trainDocs,
    heldDocs,
    accuracy,
  });
}

/** What {@linkcode classify} leaves: the trained classifier, or where a stop saved it. */
export type ClassifyOutcome =
  | { clf: TextClassifier; warning?: string }
  | { stopped: string; warning?: string };

/** Trains, checks and saves stage 3 on `start`, after its held-out folds where they apply. */
export async function classify(
  ctx: RunContext,
  dir: Direction,
  start: StartingLm,
): Promise<ClassifyOutcome> {
  const { c, task, log } = ctx;
  const folds = foldsOf(ctx);
  const { clf, train, encoder } = await classifierInputs(ctx, dir, start.lm, start.vocab, !!folds);
  const valid = encodeDocs(start.vocab, task.valid ?? [], task.labels, dir);
  const { passes, epochs } = schedule(c, train);
  console.error(classifySummary(ctx, dir, train, valid.length, passes, epochs, folds));
  const held = folds ? await heldOutAnswers(ctx, dir, encoder!, train, folds) : undefined;
  if (!folds) await removeHeldOut(heldOutPath(c.out, dir));
  else if (!held) {
    clf.dispose();
    return { stopped: heldOutPath(c.out, dir) };
  }
  const scores = await trainClassifier(
    clf,
    train,
    valid,
    classifyOptions(c, dir, epochs, passes),
    log,
    ctx.stop,
  );
  const heldOut = held && { probs: held, truth: train.map((d) => d.label) };
  const warning = chanceWarning(dir, scores.accuracies, valid, task.labels, heldOut);
  if (warning) {
    console.error(`warning: ${warning}`);
    await log.add({ type: "warning", stage: "classify", direction: dir, message: warning });
  }
  const folder = `${c.out}/classifier-${dir}`;
  // Until evaluate refits the blend, loaders serve the new classifiers alone.
  await removeBaseline(c.out);
  await saveClassifier(folder, clf, {
    direction: dir,
    vocab: [...start.vocab.itos],
    labels: task.labels,
    preset: c.preset,
    metrics: { validAccuracy: scores.accuracies[scores.kept] ?? 0, task: task.name },
  });
  if (!ctx.stop.requested) return { clf, warning };
  clf.dispose();
  return { stopped: folder, warning };
}

/** The smallest and largest document weight, as "weights 0.67–2.0". */
function weightRange(train: EncodedDoc[]): string {
  const w = train.map((d) => d.weight ?? 1);
  const f = (x: number) => x.toPrecision(2);
  const lo = w.reduce((a, b) => Math.min(a, b), Infinity);
  const hi = w.reduce((a, b) => Math.max(a, b), 0);
  return `weights ${f(lo)}–${f(hi)}`;
}

/** What stage 3 is about to read, and every cap and rule that applies. */
function classifySummary(
  ctx: RunContext,
  dir: Direction,
  train: EncodedDoc[],
  valid: number,
  passes: number,
  epochs: number,
  folds: number,
): string {
  const k = ctx.c.classify, all = ctx.task.train.length;
  return `stage 3 classifier ${dir}: ${train.length} of ${all} train documents` +
    (train.length < all ? " (classify.maxTrainDocs)" : "") +
    `, ${count(train.map((d) => d.ids))} tokens` +
    (k.trainMaxTokens
      ? `, each cut to its first ${k.trainMaxTokens} (classify.trainMaxTokens)`
      : ", whole documents") +
    `; ${valid} valid; ${
      passes > 1
        ? `${passes} passes over them an epoch (at least ${k.minEpochBatches} ` +
          "batches: classify.minEpochBatches); "
        : ""
    }up to ${epochsNote(epochs, k.epochs, "classify")}` +
    (k.patience && valid >= SMALL_VALIDATION ? `, stopping after ${k.patience} without gain` : "") +
    (valid < SMALL_VALIDATION
      ? `; ${valid} validation documents are too few to choose an epoch on: the whole ` +
        "schedule runs and the last epoch is kept"
      : "") +
    (k.poolLayers === "all" ? "; pooling every layer's outputs (classify.poolLayers)" : "") +
    (k.balanceLabels
      ? `; labels balanced in the loss (${weightRange(train)}, classify.balanceLabels)`
      : "") +
    (folds
      ? `; first ${folds} more times, each without one of ${folds} parts, for answers on every ` +
        `labelled document to fit the blend on (classify.heldOutFolds: about ${folds} times ` +
        "this stage's time)"
      : "");
}
