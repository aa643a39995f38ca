/**
 * Stage 1: the general-domain language model, trained on the corpus per direction; or, with
 * `--from`, a saved one rescored without training.
 *
 * @module
 */
import { AwdLstm } from "../../shared/model/awd_lstm.ts";
import { type Direction, loadLm, saveLm } from "../../shared/model/io.ts";
import { countTokens, Vocab } from "../../shared/tokenizer/vocab.ts";
import type { CheckpointModel } from "../checkpoint.ts";
import { encoderFor, type TrainConfig } from "../config.ts";
import { concatStreams, count, heldOutCount, reportPerplexity } from "../lm_data.ts";
import { type LmStageOptions, trainLm } from "../lm_train.ts";
import { type CorpusContext, directionSeed } from "./context.ts";

/** The loop settings stages 1 and 2 share: regularization, optimizer, checkpoints. */
export function lmLoopOptions(
  c: TrainConfig,
  dir: Direction,
  stage: "pretrain" | "finetune-lm",
  model: CheckpointModel,
): Pick<
  LmStageOptions,
  | "stage"
  | "direction"
  | "alpha"
  | "beta"
  | "dropMult"
  | "adam"
  | "seed"
  | "checkpointEvery"
  | "checkpointDir"
  | "resume"
  | "model"
> {
  return {
    stage,
    direction: dir,
    alpha: c.alpha,
    beta: c.beta,
    dropMult: c.dropMult,
    adam: c.adam,
    seed: directionSeed(c, dir),
    checkpointEvery: c.checkpointEvery || undefined,
    checkpointDir: `${c.out}/checkpoints/${stage}-${dir}`,
    resume: c.resume,
    model,
  };
}

/** Stage 1's settings: the paper's plain schedule (no warm-up, no unfreezing, one rate). */
export function pretrainOptions(c: TrainConfig, dir: Direction, vocab: Vocab): LmStageOptions {
  const { epochs, bs, bptt, lr } = c.pretrain;
  return {
    ...lmLoopOptions(c, dir, "pretrain", { vocab: vocab.itos, preset: c.preset }),
    epochs,
    bs,
    bptt,
    lr,
    warmup: false,
    gradualUnfreeze: false,
    cosine: true,
    discriminativeFactor: 1,
  };
}

/** Stage 1's model and data: a fresh LM on the corpus's vocabulary, the held-out documents. */
export interface PretrainInputs {
  lm: AwdLstm;
  vocab: Vocab;
  /** The corpus's documents as token ids, the held-out ones first. */
  encoded: Int32Array[];
  /** How many of `encoded` are held out for validation. */
  heldOut: number;
}

/** Builds stage 1's vocabulary and fresh LM for a direction. */
export async function pretrainInputs(ctx: CorpusContext, dir: Direction): Promise<PretrainInputs> {
  const { c } = ctx;
  const docs = await ctx.corpus();
  const vocab = Vocab.build(countTokens(docs), { maxSize: c.maxVocab, minFreq: c.minFreq });
  const encoded = docs.map((d) => vocab.encode(d));
  const heldOut = heldOutCount(c, encoded.length);
  const lm = new AwdLstm(ctx.ops, encoderFor(c, vocab.size), directionSeed(c, dir));
  return { lm, vocab, encoded, heldOut };
}

/** Trains, scores and saves stage 1 for a direction; returns false when a stop interrupted it. */
export async function pretrain(ctx: CorpusContext, dir: Direction): Promise<boolean> {
  const { c, log, stop } = ctx;
  const { lm, vocab, encoded, heldOut } = await pretrainInputs(ctx, dir);
  console.error(`stage 1 pretrain ${dir}: ${count(encoded)} tokens, vocab ${vocab.size}`);
  await trainLm(
    lm,
    concatStreams(encoded.slice(heldOut), dir === "bwd"),
    concatStreams(encoded.slice(0, heldOut), dir === "bwd"),
    pretrainOptions(c, dir, vocab),
    log,
    stop,
  );
  if (stop.stoppedAt) return false;
  await reportPerplexity(c, lm, vocab.itos, dir, log);
  await saveLm(`${c.out}/pretrain-${dir}`, lm, {
    direction: dir,
    vocab: [...vocab.itos],
    preset: c.preset,
  });
  lm.params.dispose();
  return true;
}

/**
 * `pretrain --from DIR [--lm-eval F] [--corpus C]`: scores an existing (or imported) LM without
 * training, on F and on the documents stage 1 would hold out of C.
 */
export async function rescorePretrained(ctx: CorpusContext, dir: Direction): Promise<void> {
  const { c } = ctx;
  const pre = await loadLm(ctx.ops, `${c.from}/pretrain-${dir}`);
  let heldOut;
  if (c.corpus) {
    const docs = await ctx.corpus();
    const n = heldOutCount(c, docs.length);
    heldOut = { name: `${c.corpus} (first ${n} documents, held out)`, docs: docs.slice(0, n) };
  }
  await reportPerplexity(c, pre.lm, pre.config.vocab, dir, ctx.log, heldOut);
  pre.lm.params.dispose();
}
