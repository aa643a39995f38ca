/**
 * Stage 3: classifier fine-tuning. Documents are batched by similar length
 * (shuffled chunks sorted by length), run with BPT3C, and trained with
 * discriminative rates; optional gradual unfreezing and cosine schedule.
 * The best epoch on validation is kept. The epoch runner is `fit.ts`'s.
 *
 * @module
 */
import type { Variable } from "@tensorflow/tfjs";
import type { TextClassifier } from "../shared/model/classifier.ts";
import { type ParamData, paramName } from "../shared/model/params.ts";
import { safeLog } from "../shared/classify.ts";
import { predictProbabilities } from "../shared/pipeline.ts";
import { scoreProbabilities, SMALL_VALIDATION } from "../shared/confusion.ts";
import type { Ops } from "../shared/ops/ops.ts";
import type { Rng } from "../shared/rng.ts";
import { type Checkpoint, paramSection, paramTensors } from "./checkpoint.ts";
import { classifierStep, maxDocSteps } from "./clf_step.ts";
import {
  fit,
  type LearnerState,
  type StageLearner,
  type StepInput,
  type StepOutcome,
} from "./fit.ts";
import type { MetricsLog } from "./metrics.ts";
import type { AdamConfig } from "./optim.ts";
import type { StopSignal } from "./signals.ts";

/** A document as token ids (already reversed for the backward model) and its label index. */
export interface EncodedDoc {
  ids: Int32Array;
  label: number;
  /** Its weight in the loss (default 1; `classify.balanceLabels`). */
  weight?: number;
}

/** Settings of stage 3. */
export interface ClassifierStageOptions {
  direction: "fwd" | "bwd";
  epochs: number;
  bs: number;
  lr: number;
  discriminativeFactor: number;
  gradualUnfreeze: boolean;
  cosine: boolean;
  dropMult: number;
  adam: AdamConfig;
  seed: number;
  /** Training documents are cut to their first this many tokens (undefined: whole documents). */
  trainMaxTokens?: number;
  /** Stop once validation accuracy has not improved for this many epochs (undefined: never). */
  patience?: number;
  /** Validation documents needed to choose an epoch (default `SMALL_VALIDATION`, 300). */
  selectFrom?: number;
  /** Share of each epoch's steps with the rate rising before the cosine fall (undefined: none). */
  rampShare?: number;
  /** Memory a step's backward pass may take; longer batches run in parts (0: never split). */
  stepMemoryMB?: number;
  /** Passes over the training documents in one epoch (default 1; see `passesPerEpoch`). */
  passes?: number;
  /** Where to keep a checkpoint after each epoch (none when undefined). */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir`; an interrupted epoch restarts. */
  resume?: boolean;
}

/** Layer group of a classifier parameter: embedding 0, rnns.l → l+1, head on top. */
export function clfGroupOf(name: string, numLayers: number): number {
  if (name.startsWith("head.")) return numLayers + 1;
  const m = /^rnns\.(\d+)\./.exec(name);
  return m ? Number(m[1]) + 1 : 0;
}

/**
 * Batches of indices with similar lengths: shuffle, cut into chunks of 50
 * batches, sort each chunk by length, then shuffle the batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "../shared/rng.ts";
 * import { sortishBatches } from "./clf_train.ts";
 * const b = sortishBatches([5, 1, 9, 3], 2, new Rng(0));
 * assert.equal(b.flat().sort().join(), "0,1,2,3");
 * ```
 */
export function sortishBatches(lengths: number[], bs: number, rng: Rng): number[][] {
  const idx = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const chunk = bs * 50;
  for (let s = 0; s < idx.length; s += chunk) {
    const part = idx.slice(s, s + chunk).sort((a, b) => lengths[b] - lengths[a]);
    for (let k = 0; k < part.length; k += bs) batches.push(part.slice(k, k + bs));
  }
  return rng.shuffle(batches);
}

/**
 * The documents as stage 3 trains on them: each cut to its first `maxTokens` tokens, or whole
 * when `maxTokens` is undefined (or 0, the config's "not set"; inference always reads whole
 * documents).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingDocs } from "./clf_train.ts";
 * const docs = [{ ids: new Int32Array([5, 6, 7]), label: 1 }];
 * assert.deepEqual([...trainingDocs(docs, 2)[0].ids], [5, 6]);
 * assert.deepEqual([...trainingDocs(docs)[0].ids], [5, 6, 7]);
 * ```
 */
export function trainingDocs(docs: EncodedDoc[], maxTokens?: number): EncodedDoc[] {
  if (!maxTokens) return docs;
  return docs.map((d) => ({ ...d, ids: d.ids.slice(0, maxTokens) }));
}

/**
 * The best epoch: the highest validation accuracy, ties going to the lower validation loss (then
 * to the earlier epoch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestEpoch } from "./clf_train.ts";
 * assert.equal(bestEpoch([0.5, 0.7, 0.7, 0.6], [0.9, 0.8, 0.7, 0.6]), 2);
 * assert.equal(bestEpoch([0.5, 0.7, 0.7]), 1); // no losses: the earlier of a tie
 * ```
 */
export function bestEpoch(accuracies: readonly number[], losses: readonly number[] = []): number {
  const loss = (i: number) => losses[i] ?? Infinity;
  let best = 0;
  for (let i = 1; i < accuracies.length; i++) {
    const a = accuracies[i], b = accuracies[best];
    if (a > b || (a === b && loss(i) < loss(best))) best = i;
  }
  return best;
}

/**
 * Epochs since the best one ({@linkcode bestEpoch}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochsSinceBest } from "./clf_train.ts";
 * assert.equal(epochsSinceBest([0.5, 0.7, 0.7, 0.6]), 2);
 * assert.equal(epochsSinceBest([0.5, 0.8]), 0);
 * ```
 */
export function epochsSinceBest(
  accuracies: readonly number[],
  losses: readonly number[] = [],
): number {
  return accuracies.length ? accuracies.length - 1 - bestEpoch(accuracies, losses) : 0;
}

/** Stage 3's validation scores per epoch and the epoch whose weights it kept. */
export interface ClassifierScores {
  accuracies: number[];
  losses: number[];
  kept: number;
}

/** Stage 3 as a {@linkcode StageLearner}: length-sorted batches, accuracy, the best epoch. */
class ClassifierLearner implements StageLearner {
  readonly ops: Ops;
  readonly variables: Variable[];
  readonly groups: number;
  readonly work: { unit: "tokens"; perEpoch: number };
  readonly resumesMidEpoch = false;
  readonly accuracies: number[] = [];
  readonly losses: number[] = [];
  /**
   * Whether validation is large enough to choose an epoch on (`SMALL_VALIDATION`). On a dozen
   * documents accuracy moves in 8-point steps and the loss rises as soon as the classifier grows
   * sure of itself: either stopped runs after one to three epochs and kept noise (AG News, 100
   * and 500 labels: the LSTMs 4–5 points below runs choosing on 600 documents). Below it the
   * whole schedule runs and the last epoch is kept, as fastai and the paper train.
   */
  readonly selects: boolean;
  #docs: EncodedDoc[];
  #lengths: number[];
  #batches: number[][] = [];
  #next = 0;
  #maxSteps: number;
  #splitNoted = false;
  #bestParams?: { enc: Record<string, ParamData>; head: Record<string, ParamData> };

  constructor(
    readonly clf: TextClassifier,
    train: EncodedDoc[],
    readonly valid: EncodedDoc[],
    readonly o: ClassifierStageOptions,
    readonly log: MetricsLog,
  ) {
    this.ops = clf.ops;
    this.variables = clf.trainableVariables();
    this.groups = clf.encoder.config.numLayers + 2;
    this.#docs = trainingDocs(train, o.trainMaxTokens);
    this.#lengths = this.#docs.map((d) => d.ids.length);
    this.selects = valid.length >= (o.selectFrom ?? SMALL_VALIDATION);
    const passes = o.passes ?? 1;
    this.work = { unit: "tokens", perEpoch: passes * this.#lengths.reduce((a, n) => a + n, 0) };
    this.#maxSteps = maxDocSteps(clf, o.stepMemoryMB ?? 0);
  }

  groupOf(name: string): number {
    return clfGroupOf(paramName(name), this.clf.encoder.config.numLayers);
  }

  beginEpoch(_epoch: number, rng: Rng): number {
    const { bs, passes = 1 } = this.o;
    this.#batches = Array.from({ length: passes }, () => sortishBatches(this.#lengths, bs, rng))
      .flat();
    this.#next = 0;
    return this.#batches.length;
  }

  async step(s: StepInput): Promise<StepOutcome | undefined> {
    if (this.#next >= this.#batches.length) return undefined;
    const batch = this.#batches[this.#next++].map((i) => this.#docs[i]);
    const { clf, o } = this;
    const r = await classifierStep(
      clf,
      s.adam,
      s.rng,
      batch,
      s.active,
      s.scheduledLr,
      s.rateOf,
      o.dropMult,
      this.#maxSteps,
    );
    if (r.parts > 1 && !this.#splitNoted) {
      this.#splitNoted = true;
      // Once a stage, on its own line below the progress bar.
      console.error(
        `\nclassify ${o.direction}: a batch of ${batch.length} long documents ran in ${r.parts} ` +
          `parts of at most ${this.#maxSteps} document-steps, gradients averaged ` +
          `(classify.stepMemoryMB ${o.stepMemoryMB}); later long batches split the same way`,
      );
    }
    return { loss: r.loss, lr: s.scheduledLr, tokens: r.tokens };
  }

  async endEpoch(epoch: number, lastLoss: number): Promise<Record<string, number>> {
    const { clf, valid } = this;
    const probs = await predictProbabilities(clf, valid.map((d) => d.ids));
    const truth = valid.map((d) => d.label);
    const { accuracy } = scoreProbabilities(probs, truth, clf.headConfig.numClasses);
    const loss = probs.reduce((sum, p, i) => sum - safeLog(p[truth[i]]), 0) / (probs.length || 1);
    this.accuracies.push(accuracy);
    this.losses.push(loss);
    await this.log.add({
      type: "valid",
      stage: "classify",
      direction: this.o.direction,
      epoch,
      accuracy,
      error: 1 - accuracy,
      loss,
    });
    // Without selection the last epoch is kept: its weights are the ones in the model already.
    if (this.selects && this.kept() === this.accuracies.length - 1) {
      this.#bestParams = { enc: await clf.encoder.params.export(), head: await clf.head.export() };
    }
    return { loss: lastLoss, "val acc": accuracy, "val loss": loss };
  }

  /** The epoch whose weights are kept so far. */
  kept(): number {
    if (!this.selects) return this.accuracies.length - 1;
    return bestEpoch(this.accuracies, this.losses);
  }

  stopEarly(): string | undefined {
    const stale = epochsSinceBest(this.accuracies, this.losses);
    if (!this.selects || !this.o.patience || stale < this.o.patience) return undefined;
    return `classify ${this.o.direction}: validation accuracy has not improved for ${stale} ` +
      `epochs; stopping early and keeping epoch ${this.kept() + 1}`;
  }

  // A checkpoint holds the state at the end of an epoch: weights (with BatchNorm statistics),
  // the scores so far and the best weights.
  async checkpointState(): Promise<LearnerState> {
    const { clf } = this;
    const best = this.#bestParams;
    return {
      tensors: {
        ...paramTensors("param.enc.", await clf.encoder.params.export()),
        ...paramTensors("param.head.", await clf.head.export()),
        ...(best ? paramTensors("best.enc.", best.enc) : {}),
        ...(best ? paramTensors("best.head.", best.head) : {}),
      },
      position: 0,
      best: this.accuracies[this.kept()] ?? -1,
      extra: { accuracies: this.accuracies, losses: this.losses },
    };
  }

  restoreState(c: Checkpoint): void {
    this.clf.encoder.params.load(paramSection(c.tensors, "param.enc."));
    this.clf.head.load(paramSection(c.tensors, "param.head."));
    const bestEnc = paramSection(c.tensors, "best.enc.");
    if (Object.keys(bestEnc).length) {
      this.#bestParams = { enc: bestEnc, head: paramSection(c.tensors, "best.head.") };
    }
    this.accuracies.push(...((c.loop.extra?.accuracies as number[]) ?? []));
    this.losses.push(...((c.loop.extra?.losses as number[]) ?? []));
  }

  finish(): void {
    if (!this.selects || !this.#bestParams) return;
    this.clf.encoder.params.load(this.#bestParams.enc);
    this.clf.head.load(this.#bestParams.head);
  }

  dispose(): void {}
}

/**
 * Trains `clf` and returns the validation scores per epoch; the weights of the best epoch
 * ({@linkcode bestEpoch}; the last when validation is small) are loaded back at the end.
 */
export async function trainClassifier(
  clf: TextClassifier,
  train: EncodedDoc[],
  valid: EncodedDoc[],
  o: ClassifierStageOptions,
  log: MetricsLog,
  stop: StopSignal,
): Promise<ClassifierScores> {
  const learner = new ClassifierLearner(clf, train, valid, o, log);
  await fit(learner, { ...o, stage: "classify", warmup: false }, log, stop);
  const { accuracies, losses } = learner;
  return { accuracies, losses, kept: learner.kept() };
}
