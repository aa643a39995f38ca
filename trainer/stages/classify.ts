/**
 * Stage 3: the classifier on the fine-tuned encoder, trained on the task's labelled documents
 * and kept at its best validation epoch.
 *
 * @module
 */
import { SMALL_VALIDATION } from "../../shared/confusion.ts";
import type { AwdLstm } from "../../shared/model/awd_lstm.ts";
import { TextClassifier } from "../../shared/model/classifier.ts";
import { headPreset } from "../../shared/model/config.ts";
import { type Direction, loadLm, saveClassifier } from "../../shared/model/io.ts";
import { Vocab } from "../../shared/tokenizer/vocab.ts";
import {
  type ClassifierStageOptions,
  type EncodedDoc,
  trainClassifier,
  trainingDocs,
} from "../clf_train.ts";
import type { TrainConfig } from "../config.ts";
import { count } from "../lm_data.ts";
import { epochsWithin, passesPerEpoch } from "../schedule.ts";
import { chanceWarning, encodeDocs } from "../task_prep.ts";
import { removeBaseline } from "./baseline.ts";
import { directionSeed, type RunContext } from "./context.ts";
import { epochsNote, groupFactor, type StartingLm } from "./finetune.ts";

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

/** A new classifier on `lm`'s weights (which it frees), and stage 3's encoded documents. */
export async function classifierInputs(
  ctx: RunContext,
  dir: Direction,
  lm: AwdLstm,
  vocab: Vocab,
): Promise<{ clf: TextClassifier; train: EncodedDoc[] }> {
  const { c, task } = ctx;
  const head = {
    ...headPreset(task.labels.length, c.finetune.bptt),
    concatPool: c.classify.concatPool,
    poolLayers: c.classify.poolLayers,
  };
  const clf = new TextClassifier(ctx.ops, lm.config, head, directionSeed(c, dir));
  clf.encoder.params.load(await lm.params.export());
  lm.params.dispose();
  return { clf, train: encodeDocs(vocab, ctx.stage3Docs, task.labels, dir) };
}

/** What {@linkcode classify} leaves: the trained classifier, or where a stop saved it. */
export type ClassifyOutcome =
  | { clf: TextClassifier; warning?: string }
  | { stopped: string; warning?: string };

/** Trains, checks and saves stage 3 on `start`. */
export async function classify(
  ctx: RunContext,
  dir: Direction,
  start: StartingLm,
): Promise<ClassifyOutcome> {
  const { c, task, log } = ctx;
  const { clf, train } = await classifierInputs(ctx, dir, start.lm, start.vocab);
  const valid = encodeDocs(start.vocab, task.valid ?? [], task.labels, dir);
  const passes = passesPerEpoch(train.length, c.classify.bs, c.classify.minEpochBatches);
  const tokens = count(trainingDocs(train, c.classify.trainMaxTokens).map((d) => d.ids));
  const epochs = epochsWithin(c.classify.tokenBudget, passes * tokens, c.classify.epochs, 2);
  console.error(classifySummary(ctx, dir, train, valid.length, passes, epochs));
  const scores = await trainClassifier(
    clf,
    train,
    valid,
    classifyOptions(c, dir, epochs, passes),
    log,
    ctx.stop,
  );
  const warning = chanceWarning(dir, scores.accuracies, valid, task.labels);
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

/** What stage 3 is about to read, and every cap and rule that applies. */
function classifySummary(
  ctx: RunContext,
  dir: Direction,
  train: EncodedDoc[],
  valid: number,
  passes: number,
  epochs: number,
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
    (k.poolLayers === "all" ? "; pooling every layer's outputs (classify.poolLayers)" : "");
}
