/**
 * One optimizer step of stage 3. A batch whose backward pass would need more memory than
 * `classify.stepMemoryMB` runs in parts of similar length whose gradients (and BatchNorm
 * statistics) are averaged by size before the one update, so long documents cannot exhaust the
 * wasm backend's 4 GB heap whatever the batch size.
 *
 * @module
 */
import type { NamedTensorMap, Tensor, Tensor2D, Variable } from "@tensorflow/tfjs";
import { crossEntropy, type TextClassifier } from "../shared/model/classifier.ts";
import { type AwdLstmConfig, layerSizes, type PoolLayers } from "../shared/model/config.ts";
import { disposeMasks, sampleEncoderMasks } from "../shared/model/dropout.ts";
import type { Ops } from "../shared/ops/ops.ts";
import { padBatch } from "../shared/pipeline.ts";
import type { Rng } from "../shared/rng.ts";
import type { EncodedDoc } from "./clf_train.ts";
import type { Adam } from "./optim.ts";

/**
 * Time steps a batch of right-padded documents backpropagates through: from the first chunk of
 * the earliest pooling window (as `TextClassifier.skipToWindow` cuts it) to the longest end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { windowSteps } from "./clf_step.ts";
 * assert.equal(windowSteps([3000, 100], 1400, 70), 3000); // the short one pools from step 0
 * assert.equal(windowSteps([3000, 2900], 1400, 70), 3000 - 1470);
 * ```
 */
export function windowSteps(lengths: number[], maxLen: number, bptt: number): number {
  const firstPooled = Math.min(...lengths.map((n) => Math.max(0, n - maxLen)));
  return Math.max(...lengths) - Math.floor(firstPooled / bptt) * bptt;
}

/**
 * Estimated bytes a training pass keeps per document and time step for its backward pass.
 * Measured on the wasm backend (RESULTS.md): `small` 32 × 1,400 steps grew the heap to
 * 1.56 GB pooling the last layer and 2.34 GB pooling all; about 3 × the floats of the LSTM
 * gates and inputs, half as much again when every layer is pooled.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encoderPreset } from "../shared/model/config.ts";
 * import { bytesPerDocStep } from "./clf_step.ts";
 * assert.equal(bytesPerDocStep(encoderPreset("small", 100), "last"), 3 * 4 * 2880);
 * ```
 */
export function bytesPerDocStep(enc: AwdLstmConfig, poolLayers: PoolLayers): number {
  let floats = 0;
  for (let l = 0; l < enc.numLayers; l++) {
    const [nIn, nHid] = layerSizes(enc, l);
    floats += 4 * nHid + nIn;
  }
  return 3 * 4 * floats * (poolLayers === "all" ? 1.5 : 1);
}

/** Document-steps one part may backpropagate within `memoryMB` (Infinity for 0: never split). */
export function maxDocSteps(clf: TextClassifier, memoryMB: number): number {
  if (!memoryMB) return Infinity;
  const perStep = bytesPerDocStep(clf.encoder.config, clf.headConfig.poolLayers);
  return Math.floor(memoryMB * 2 ** 20 / perStep);
}

/**
 * Splits a batch (indices into `lengths`) into parts of at most `maxSteps` document-steps
 * (`part size × windowSteps`): the whole batch in its order when it fits, else parts of
 * similar length, longest first. A lone document always makes a part.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { microBatches } from "./clf_step.ts";
 * assert.deepEqual(microBatches([100, 3000, 120, 2900], 1400, 70, 20_000), [[0, 1, 2, 3]]);
 * assert.deepEqual(microBatches([100, 3000, 120, 2900], 1400, 70, 4000), [[1, 3], [2, 0]]);
 * ```
 */
export function microBatches(
  lengths: number[],
  maxLen: number,
  bptt: number,
  maxSteps: number,
): number[][] {
  const order = lengths.map((_, i) => i);
  const cost = (part: number[]) =>
    part.length * windowSteps(part.map((i) => lengths[i]), maxLen, bptt);
  if (cost(order) <= maxSteps) return [order];
  const parts: number[][] = [];
  let part: number[] = [];
  for (const i of order.sort((a, b) => lengths[b] - lengths[a])) {
    if (part.length && cost([...part, i]) > maxSteps) {
      parts.push(part);
      part = [];
    }
    part.push(i);
  }
  parts.push(part);
  return parts;
}

/** What one step did: the batch's mean loss, tokens read and the parts it ran in. */
export interface StepResult {
  loss: number;
  tokens: number;
  parts: number;
}

/**
 * One optimizer step of the classifier on `batch` (fresh dropout masks from `rng`; BatchNorm
 * running statistics updated), in parts of at most `maxSteps` document-steps. The loss is not
 * finite when the step diverged (then nothing was updated). Shared by the training loop and
 * the learning-rate range test.
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
  maxSteps = Infinity,
): Promise<StepResult> {
  const { ops, headConfig: hc } = clf;
  const lengths = batch.map((d) => d.ids.length);
  const parts = microBatches(lengths, hc.maxLen, hc.bptt, maxSteps);
  const grads = new WeightedSum<string>(ops);
  const running = new WeightedSum<Variable>(ops);
  let loss = 0;
  // Each part's share of the batch's (weighted) mean loss.
  const w = (i: number) => batch[i].weight ?? 1;
  const total = batch.reduce((a, _, i) => a + w(i), 0);
  for (const part of parts) {
    const weight = part.reduce((a, i) => a + w(i), 0) / total;
    const r = partGradients(clf, rng, part.map((i) => batch[i]), active, dropMult);
    loss += weight * (await r.value.data())[0];
    r.value.dispose();
    grads.add(Object.entries(r.grads), weight);
    running.add(r.updates, weight);
    if (!Number.isFinite(loss)) break;
  }
  if (Number.isFinite(loss)) {
    await adam.step(Object.fromEntries(grads.entries), lr, rateOf);
    clf.applyRunningUpdates(running.take()); // which frees them
  }
  grads.dispose();
  running.dispose();
  return { loss, tokens: lengths.reduce((a, b) => a + b, 0), parts: parts.length };
}

/** The loss tensor, gradients and BatchNorm updates of one part of a batch. */
function partGradients(
  clf: TextClassifier,
  rng: Rng,
  docs: EncodedDoc[],
  active: Variable[],
  dropMult: number,
): { value: Tensor; grads: NamedTensorMap; updates: [Variable, Tensor][] } {
  const { ops } = clf;
  const { tokens: x, lengths } = padBatch(ops, docs.map((d) => d.ids), clf.encoder.config.padId);
  const labels = ops.tensor1d(docs.map((d) => d.label), "int32");
  const weights = docs.some((d) => d.weight !== undefined)
    ? ops.tensor1d(docs.map((d) => d.weight ?? 1))
    : undefined;
  const masks = {
    encoder: sampleEncoderMasks(ops, rng, clf.encoder.config, docs.length, dropMult),
    head: clf.sampleHeadMasks(rng, docs.length, dropMult),
  };
  // Outside the gradient scope: gradients stop where the pooled chunks begin (BPT3C).
  const { state, offset } = clf.skipToWindow(x, lengths, masks.encoder);
  const window = offset > 0 ? ops.slice(x, [0, offset], [-1, -1]) as Tensor2D : x;
  let updates: [Variable, Tensor][] = [];
  const { value, grads } = withMemoryHint(
    docs.length,
    x.shape[1] - offset,
    clf.headConfig.poolLayers,
    bytesPerDocStep(clf.encoder.config, clf.headConfig.poolLayers),
    () =>
      ops.variableGrads(() => {
        const out = clf.forward(window, lengths.map((n) => n - offset), {
          training: true,
          masks,
          state,
        });
        updates = out.runningUpdates.map(([v, t]) => [v, ops.keep(t)]);
        return crossEntropy(ops, out.logits, labels, weights) as never;
      }, active),
  );
  ops.dispose([
    x,
    window,
    labels,
    ...(weights ? [weights] : []),
    ...(masks.head.filter(Boolean) as Tensor[]),
  ]);
  disposeMasks(ops, masks.encoder);
  return { value, grads, updates };
}

/**
 * Σ weight × tensor per key over the parts of a batch. A single part of weight 1 is kept as it
 * is, so a batch that fits computes exactly what an unsplit step would.
 */
class WeightedSum<K> {
  #sums = new Map<K, Tensor>();
  constructor(readonly ops: Ops) {}

  /** Adds `weight ×` each tensor (which it takes over) to its key's sum. */
  add(items: Iterable<[K, Tensor]>, weight: number): void {
    const { ops } = this;
    for (const [key, t] of items) {
      const prev = this.#sums.get(key);
      if (!prev && weight === 1) {
        this.#sums.set(key, t);
        continue;
      }
      const next = ops.tidy(() => {
        const scaled = ops.mul(t, weight);
        return prev ? ops.add(prev, scaled) : scaled;
      });
      ops.dispose(prev ? [prev, t] : [t]);
      this.#sums.set(key, next);
    }
  }

  get entries(): [K, Tensor][] {
    return [...this.#sums.entries()];
  }

  /** The sums, handed over: this no longer holds (or frees) them. */
  take(): [K, Tensor][] {
    const all = this.entries;
    this.#sums.clear();
    return all;
  }

  dispose(): void {
    this.ops.dispose([...this.#sums.values()]);
    this.#sums.clear();
  }
}

/**
 * Runs `step`; when the TF.js wasm heap runs out (its 4 GB; it aborts with
 * "memory access out of bounds" or "Aborted()"), says which batch and what to change.
 */
export function withMemoryHint<T>(
  docs: number,
  steps: number,
  poolLayers: PoolLayers,
  bytesPerStep: number,
  step: () => T,
): T {
  try {
    return step();
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const all = poolLayers === "all";
    // Half of what this part was estimated to need, so the next try splits it.
    const estimateMB = (docs * steps * bytesPerStep) / 2 ** 20;
    const suggest = Math.max(64, Math.floor(estimateMB / 2 / 64) * 64);
    throw new Error(
      `Cannot train the classifier: a batch of ${docs} documents with ${steps} steps to ` +
        `backpropagate ran out of the wasm backend's memory (${e.message}); lower ` +
        `classify.stepMemoryMB below this part's estimated ${Math.round(estimateMB)} MB ` +
        `(--config with {"classify": {"stepMemoryMB": ${suggest}}})` +
        (all ? ` or pool the last layer only (--pool-layers last)` : ""),
    );
  }
}
