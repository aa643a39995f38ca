/**
 * Stage 2: the pretrained LM moved onto the task's vocabulary and fine-tuned on the task's text
 * (warm-up, gradual unfreezing, cosine annealing, discriminative rates).
 *
 * @module
 */
import { AwdLstm } from "../../shared/model/awd_lstm.ts";
import { type Direction, loadLm, saveLm } from "../../shared/model/io.ts";
import { tokenize } from "../../shared/tokenizer/tokenizer.ts";
import type { Vocab } from "../../shared/tokenizer/vocab.ts";
import { encoderFor, type TrainConfig } from "../config.ts";
import { capDocs, concatStreams, count, remapVocab, reportPerplexity } from "../lm_data.ts";
import { type LmStageOptions, trainLm } from "../lm_train.ts";
import { epochsWithin } from "../schedule.ts";
import { directionSeed, type RunContext } from "./context.ts";
import { lmLoopOptions } from "./pretrain.ts";

/** "N epochs", and why when a token budget chose fewer than the configured number. */
export function epochsNote(
  epochs: number,
  configured: number,
  stage: "finetune" | "classify",
): string {
  const n = `${epochs} epoch${epochs === 1 ? "" : "s"}`;
  return epochs < configured
    ? `${n} (of ${configured}: the ${stage}.tokenBudget fits no more over this data)`
    : n;
}

/** The lower groups' rate factor a stage trains with: 1 when discriminative rates are off. */
export function groupFactor(c: TrainConfig, discriminative: boolean): number {
  return discriminative ? c.discriminativeFactor : 1;
}

/** Stage 2's settings for `epochs` epochs (the token budget's choice). */
export function finetuneOptions(
  c: TrainConfig,
  dir: Direction,
  vocab: Vocab,
  epochs: number,
): LmStageOptions {
  const f = c.finetune;
  return {
    ...lmLoopOptions(c, dir, "finetune-lm", { vocab: vocab.itos, preset: c.preset }),
    epochs,
    bs: f.bs,
    bptt: f.bptt,
    lr: f.lr,
    // A single epoch anneals from the top rate: a warm-up epoch alone would end there.
    warmup: f.warmup && epochs > 1,
    gradualUnfreeze: f.gradualUnfreeze,
    cosine: f.cosine,
    discriminativeFactor: groupFactor(c, f.discriminative),
  };
}

/** The LM stage 2 starts from, on the task's vocabulary. */
export interface StartingLm {
  lm: AwdLstm;
  vocab: Vocab;
}

/**
 * The pretrained LM (this run's stage 1, or `--from`'s) moved onto the task's vocabulary, or a
 * fresh one with `--no-pretrain`. An LM this run did not pretrain is scored first.
 */
export async function startingLm(
  ctx: RunContext,
  dir: Direction,
  pretrainedHere: boolean,
): Promise<StartingLm> {
  const { c, ops } = ctx;
  if (c.noPretrain) {
    const vocab = ctx.taskVocab();
    return {
      lm: new AwdLstm(ops, encoderFor(c, vocab.size), directionSeed(c, dir)),
      vocab,
    };
  }
  const pre = await loadLm(ops, `${c.from || c.out}/pretrain-${dir}`);
  if (!pretrainedHere) await reportPerplexity(c, pre.lm, pre.config.vocab, dir, ctx.log);
  const vocab = ctx.taskVocab(pre.config.vocab);
  const lm = await remapVocab(ops, pre.lm, pre.config.vocab, vocab);
  pre.lm.params.dispose();
  return { lm, vocab };
}

/** Stage 2's training stream: the task's text on `vocab`, reversed for the backward LM. */
export function finetuneStream(ctx: RunContext, vocab: Vocab, dir: Direction): Int32Array {
  return concatStreams(ctx.taskTokens.map((d) => vocab.encode(d)), dir === "bwd");
}

/** Fine-tunes and saves `start`; returns false when a stop interrupted it. */
export async function finetuneLm(
  ctx: RunContext,
  dir: Direction,
  { lm, vocab }: StartingLm,
): Promise<boolean> {
  const { c, task } = ctx;
  const ids = ctx.taskTokens.map((d) => vocab.encode(d));
  const validIds = capDocs(
    (task.valid ?? []).map((d) => tokenize(d.text)),
    c.finetune.validMaxTokens,
  ).map((d) => vocab.encode(d));
  const epochs = epochsWithin(c.finetune.tokenBudget, count(ids), c.finetune.epochs);
  console.error(finetuneSummary(ctx, dir, vocab, count(ids), count(validIds), epochs));
  await trainLm(
    lm,
    concatStreams(ids, dir === "bwd"),
    validIds.length ? concatStreams(validIds, dir === "bwd") : undefined,
    finetuneOptions(c, dir, vocab, epochs),
    ctx.log,
    ctx.stop,
  );
  if (ctx.stop.stoppedAt) return false;
  await saveLm(`${c.out}/finetune-${dir}`, lm, {
    direction: dir,
    vocab: [...vocab.itos],
    preset: c.preset,
  });
  return true;
}

/** What stage 2 is about to read, and every cap that applies. */
function finetuneSummary(
  ctx: RunContext,
  dir: Direction,
  vocab: Vocab,
  tokens: number,
  validTokens: number,
  epochs: number,
): string {
  const f = ctx.c.finetune;
  return `stage 2 fine-tune LM ${dir}: ${tokens} tokens of ${ctx.taskTexts.length} texts` +
    (f.maxTokens && tokens >= f.maxTokens ? " (capped by finetune.maxTokens)" : " (all of them)") +
    `, ${
      epochsNote(epochs, f.epochs, "finetune")
    }, vocab ${vocab.size}; validation ${validTokens} tokens` +
    (validTokens >= f.validMaxTokens && f.validMaxTokens
      ? " (capped by finetune.validMaxTokens)"
      : "");
}
