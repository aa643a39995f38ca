/**
 * Stage 3: classifier fine-tuning. Documents are batched by similar length
 * (shuffled chunks sorted by length), run with BPT3C, and trained with
 * discriminative rates; optional gradual unfreezing and cosine schedule.
 * The best epoch on validation is kept.
 *
 * @module
 */
import type { Tensor, Variable } from "@tensorflow/tfjs";
import { crossEntropy, type TextClassifier } from "../shared/model/classifier.ts";
import { disposeMasks, sampleEncoderMasks } from "../shared/model/dropout.ts";
import { type ParamData, paramName } from "../shared/model/params.ts";
import { padBatch, predictProbabilities } from "../shared/pipeline.ts";
import { argmax, scoreLabels } from "../shared/confusion.ts";
import { Rng } from "../shared/rng.ts";
import type { NamedTensor } from "../shared/weights/safetensors.ts";
import {
  loadCheckpoint,
  type LoopState,
  momentSection,
  momentTensors,
  paramSection,
  paramTensors,
  saveCheckpoint,
} from "./checkpoint.ts";
import type { MetricsLog } from "./metrics.ts";
import { Adam, type AdamConfig } from "./optim.ts";
import { ProgressBar } from "../shared/progress.ts";
import { discriminativeRates, epochPlan } from "./schedule.ts";
import { type StopSignal, TrainingDiverged } from "./signals.ts";
import { announce, StageEstimate } from "./estimate.ts";

/** A document as token ids (already reversed for the backward model) and its label index. */
export interface EncodedDoc {
  ids: Int32Array;
  label: number;
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
  /** Training documents are cut to their first this many tokens (0: whole documents). */
  trainMaxTokens: number;
  /** Stop once validation accuracy has not improved for this many epochs (0: run all epochs). */
  patience?: number;
  /** Share of each epoch's steps with the rate rising before the cosine fall (0: none). */
  rampShare?: number;
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
 * when `maxTokens` is 0 (inference always reads whole documents).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingDocs } from "./clf_train.ts";
 * const docs = [{ ids: new Int32Array([5, 6, 7]), label: 1 }];
 * assert.deepEqual([...trainingDocs(docs, 2)[0].ids], [5, 6]);
 * assert.deepEqual([...trainingDocs(docs, 0)[0].ids], [5, 6, 7]);
 * ```
 */
export function trainingDocs(docs: EncodedDoc[], maxTokens: number): EncodedDoc[] {
  if (!maxTokens) return docs;
  return docs.map((d) => ({ ...d, ids: d.ids.slice(0, maxTokens) }));
}

/**
 * Epochs since the best accuracy (ties count as no improvement).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochsSinceBest } from "./clf_train.ts";
 * assert.equal(epochsSinceBest([0.5, 0.7, 0.7, 0.6]), 2);
 * assert.equal(epochsSinceBest([0.5, 0.8]), 0);
 * ```
 */
export function epochsSinceBest(accuracies: readonly number[]): number {
  let bestAt = 0;
  accuracies.forEach((a, i) => {
    if (a > accuracies[bestAt]) bestAt = i;
  });
  return accuracies.length ? accuracies.length - 1 - bestAt : 0;
}

/** Accuracy and confusion matrix of predicted probabilities (the most probable class wins). */
export function scoreProbabilities(
  probs: Float32Array[],
  labels: number[],
  numClasses: number,
): { accuracy: number; confusion: number[][] } {
  return scoreLabels(labels, probs.map(argmax), numClasses);
}

/**
 * One optimizer step of the classifier on `batch` (fresh dropout masks from
 * `rng`; BatchNorm running statistics updated). Returns the loss, not finite
 * when the step diverged (then nothing was updated), and the tokens read.
 * Shared by the training loop and the learning-rate range test.
 */
export async function classifierStep(
  clf: TextClassifier,
  adam: Adam,
  rng: Rng,
  batch: EncodedDoc[],
  active: Variable[],
  lr: number,
  rateOf: (name: string) => number,
  dropMult: number,
): Promise<{ loss: number; tokens: number }> {
  const { ops } = clf;
  const { tokens: x, lengths } = padBatch(ops, batch.map((d) => d.ids), clf.encoder.config.padId);
  const labels = ops.tensor1d(batch.map((d) => d.label), "int32");
  const masks = {
    encoder: sampleEncoderMasks(ops, rng, clf.encoder.config, batch.length, dropMult),
    head: clf.sampleHeadMasks(rng, batch.length, dropMult),
  };
  let updates: [Variable, Tensor][] = [];
  const { value, grads } = ops.variableGrads(() => {
    const out = clf.forward(x, lengths, { training: true, masks });
    updates = out.runningUpdates.map(([v, t]) => [v, ops.keep(t)]);
    return crossEntropy(ops, out.logits, labels) as never;
  }, active);
  const loss = (await value.data())[0];
  if (Number.isFinite(loss)) {
    await adam.step(grads, lr, rateOf);
    clf.applyRunningUpdates(updates);
  } else ops.dispose(updates.map(([, t]) => t));
  ops.dispose([
    value,
    x,
    labels,
    ...Object.values(grads),
    ...(masks.head.filter(Boolean) as Tensor[]),
  ]);
  disposeMasks(ops, masks.encoder);
  return { loss, tokens: lengths.reduce((a, b) => a + b, 0) };
}

/**
 * Trains `clf` and returns the validation accuracy per epoch; the weights of
 * the best epoch are loaded back at the end.
 */
export async function trainClassifier(
  clf: TextClassifier,
  train: EncodedDoc[],
  valid: EncodedDoc[],
  o: ClassifierStageOptions,
  log: MetricsLog,
  stop: StopSignal,
): Promise<number[]> {
  const { ops } = clf;
  const L = clf.encoder.config.numLayers;
  const groups = L + 2;
  const rates = discriminativeRates(groups, 1, o.discriminativeFactor);
  const vars = clf.trainableVariables();
  const adam = new Adam(ops, o.adam);
  adam.track(vars);
  const rng = new Rng(o.seed);
  const docs = trainingDocs(train, o.trainMaxTokens);
  const accuracies: number[] = [];
  let best = -1;
  let bestParams: { enc: Record<string, ParamData>; head: Record<string, ParamData> } | undefined;
  let step = 0;
  let firstEpoch = 0;

  // A checkpoint holds the state at the end of an epoch: weights (with BatchNorm
  // statistics), Adam moments, the RNG, the scores so far and the best weights.
  async function checkpoint(epoch: number, done: boolean) {
    if (!o.checkpointDir) return;
    const tensors: Record<string, NamedTensor> = {
      ...paramTensors("param.enc.", await clf.encoder.params.export()),
      ...paramTensors("param.head.", await clf.head.export()),
      ...(bestParams ? paramTensors("best.enc.", bestParams.enc) : {}),
      ...(bestParams ? paramTensors("best.head.", bestParams.head) : {}),
      ...momentTensors((await adam.export(paramName)).moments),
    };
    const loop: LoopState = {
      stage: "classify",
      direction: o.direction,
      epoch,
      stepInEpoch: 0,
      globalStep: step,
      position: 0,
      rng: rng.state,
      adamT: adam.t,
      done,
      best,
      extra: { accuracies },
    };
    await saveCheckpoint(o.checkpointDir, { loop, tensors });
  }
  if (o.resume && o.checkpointDir) {
    const c = await loadCheckpoint(o.checkpointDir);
    if (c && c.loop.stage === "classify" && c.loop.direction === o.direction) {
      clf.encoder.params.load(paramSection(c.tensors, "param.enc."));
      clf.head.load(paramSection(c.tensors, "param.head."));
      const bestEnc = paramSection(c.tensors, "best.enc.");
      if (Object.keys(bestEnc).length) {
        bestParams = { enc: bestEnc, head: paramSection(c.tensors, "best.head.") };
      }
      const scopes = new Map(vars.map((v) => [paramName(v.name), v.name]));
      adam.import(
        { t: c.loop.adamT, moments: momentSection(c.tensors) },
        (k) => scopes.get(k) ?? k,
      );
      rng.state = c.loop.rng;
      step = c.loop.globalStep;
      best = c.loop.best ?? -1;
      accuracies.push(...((c.loop.extra?.accuracies as number[]) ?? []));
      // A finished stage (all epochs, or stopped early) trains no further.
      firstEpoch = c.loop.done ? o.epochs : c.loop.epoch;
      console.error(`Resumed classify ${o.direction} at epoch ${firstEpoch + 1}, step ${step}`);
    }
  }
  const passes = o.passes ?? 1;
  const lengths = docs.map((d) => d.ids.length);
  const perEpoch = passes * lengths.reduce((a, n) => a + n, 0);
  const estimate = new StageEstimate(
    `classify ${o.direction}, up to ${o.epochs - firstEpoch} epoch(s)`,
    perEpoch * Math.max(0, o.epochs - firstEpoch),
    "tokens",
  );
  let stageTokens = 0, stageBatches = 0;
  try {
    for (let epoch = firstEpoch; epoch < o.epochs; epoch++) {
      const plan = epochPlan(epoch, {
        groups,
        maxLr: o.lr,
        warmup: false,
        gradualUnfreeze: o.gradualUnfreeze,
        cosine: o.cosine,
        rampShare: o.rampShare,
      });
      const rateOf = (name: string) => {
        const g = clfGroupOf(paramName(name), L);
        return g < plan.lowestTrainable ? 0 : rates[g];
      };
      const active = vars.filter((v) => rateOf(v.name) > 0);
      const batches = Array.from({ length: passes }, () => sortishBatches(lengths, o.bs, rng))
        .flat();
      const bar = new ProgressBar({
        label: `classify ${o.direction} epoch ${epoch + 1}/${o.epochs}`,
        total: batches.length,
      });
      const started = performance.now();
      let tokens = 0, lastLoss = NaN;
      for (let k = 0; k < batches.length; k++) {
        const batch = batches[k].map((i) => docs[i]);
        const lr = plan.rate(k, batches.length);
        const r = await classifierStep(clf, adam, rng, batch, active, lr, rateOf, o.dropMult);
        if (!Number.isFinite(r.loss)) {
          throw new TrainingDiverged("classify", step, o.checkpointDir ?? "memory");
        }
        const loss = r.loss;
        step++;
        tokens += r.tokens;
        stageTokens += r.tokens;
        announce(estimate.after(stageTokens, ++stageBatches));
        lastLoss = loss;
        const tps = tokens / ((performance.now() - started) / 1000);
        bar.update(k + 1, { loss, lr, "tok/s": Math.round(tps) });
        await log.add({
          type: "step",
          stage: "classify",
          direction: o.direction,
          epoch,
          step,
          loss,
          lr,
          tokens: r.tokens,
          tokensPerSec: tps,
        });
        if (stop.requested) break;
      }
      const probs = await predictProbabilities(clf, valid.map((d) => d.ids));
      const { accuracy } = scoreProbabilities(
        probs,
        valid.map((d) => d.label),
        clf.headConfig.numClasses,
      );
      accuracies.push(accuracy);
      await log.add({
        type: "valid",
        stage: "classify",
        direction: o.direction,
        epoch,
        accuracy,
        error: 1 - accuracy,
      });
      bar.finish({ loss: lastLoss, "val acc": accuracy });
      if (accuracy > best) {
        best = accuracy;
        bestParams = { enc: await clf.encoder.params.export(), head: await clf.head.export() };
      }
      if (stop.requested) break;
      const stale = epochsSinceBest(accuracies);
      const early = !!o.patience && stale >= o.patience && epoch + 1 < o.epochs;
      await checkpoint(epoch + 1, early || epoch + 1 === o.epochs);
      if (early) {
        console.error(
          `classify ${o.direction}: validation accuracy has not improved for ${stale} epochs; ` +
            `stopping early and keeping epoch ${accuracies.indexOf(best) + 1}`,
        );
        await log.add({ type: "early-stop", stage: "classify", direction: o.direction, epoch });
        break;
      }
    }
    if (bestParams) {
      clf.encoder.params.load(bestParams.enc);
      clf.head.load(bestParams.head);
    }
    return accuracies;
  } finally {
    adam.dispose();
  }
}
