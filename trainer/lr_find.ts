/**
 * The learning-rate range test (Smith 2017; fastai's `lr_find`): train for a
 * few steps while the rate grows exponentially, watch the smoothed loss, and
 * stop once it blows up. The weights are restored afterwards, so the test
 * can run right before real training.
 *
 * @module
 */
import type { AwdLstm, LstmState } from "../shared/model/awd_lstm.ts";
import type { TextClassifier } from "../shared/model/classifier.ts";
import { paramName } from "../shared/model/params.ts";
import { Rng } from "../shared/rng.ts";
import { ProgressBar } from "../shared/progress.ts";
import { clfGroupOf, type EncodedDoc, sortishBatches, trainingDocs } from "./clf_train.ts";
import { classifierStep, maxDocSteps } from "./clf_step.ts";
import { lmGroupOf, lmStep } from "./lm_train.ts";
import { batchAt, drawSeqLen, toRows } from "./lm_batches.ts";
import { Adam, type AdamConfig } from "./optim.ts";
import { discriminativeRates } from "./schedule.ts";
import { chartFile } from "./report/chart_file.ts";
import type { Series } from "./report/chart.ts";

/** Settings of the range test. */
export interface RangeTestOptions {
  /** First rate (default 1e-7). */
  minLr?: number;
  /** Last rate (default 10). */
  maxLr?: number;
  /** Steps from `minLr` to `maxLr` (default 100). */
  steps?: number;
  /** Smoothing of the loss, an exponential moving average's factor (default 0.98, as fastai). */
  smoothing?: number;
  /** Stop once the smoothed loss exceeds this multiple of its minimum (default 4). */
  stopFactor?: number;
  /** Progress bar label; no bar when undefined. */
  label?: string;
}

/** One step of the test. */
export interface RangePoint {
  lr: number;
  loss: number;
  /** Bias-corrected moving average of the loss up to this step. */
  smoothed: number;
}

/** Suggested rates read off the curve. */
export interface LrSuggestion {
  /** Where the smoothed loss falls fastest per decade of rate (undefined: too few points). */
  steepest?: number;
  /** A tenth of the rate at the smoothed loss's minimum (fastai's classic rule of thumb). */
  minOver10: number;
}

/** Outcome of a range test. */
export interface RangeResult {
  points: RangePoint[];
  suggestion: LrSuggestion;
  /** Why the test ended: all steps ran, the loss diverged, or it went non-finite. */
  ended: "steps" | "diverged" | "non-finite";
}

/**
 * The rate at step `i` of `n`, from `min` to `max` on a log scale.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeLr } from "./lr_find.ts";
 * assert.ok(Math.abs(rangeLr(1, 3, 1e-4, 1) - 1e-2) < 1e-12);
 * ```
 */
export function rangeLr(i: number, n: number, min: number, max: number): number {
  return n <= 1 ? min : min * (max / min) ** (i / (n - 1));
}

/**
 * Reads suggested rates off a range test's points.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { suggestLr } from "./lr_find.ts";
 * const pts = [1e-4, 1e-3, 1e-2, 1e-1].map((lr, i) => ({ lr, loss: 0, smoothed: [5, 4.9, 3, 2.8][i] }));
 * const s = suggestLr(pts);
 * assert.equal(s.steepest, 1e-2);
 * assert.ok(Math.abs(s.minOver10 - 1e-2) < 1e-12);
 * ```
 */
export function suggestLr(points: RangePoint[]): LrSuggestion {
  let minIdx = 0;
  points.forEach((p, i) => p.smoothed < points[minIdx].smoothed && (minIdx = i));
  const minOver10 = points[minIdx].lr / 10;
  // The slope per decade over a window of a tenth of the points, up to the minimum, skipping
  // the first tenth (where the moving average is still mostly noise); the steepest fall wins,
  // reported at the window's middle. A loss that fell by under 1% has no steepest point.
  const n = points.length, w = Math.max(1, Math.round(n / 10)), skip = Math.floor(n / 10);
  let steepest: number | undefined, best = 0;
  if (points[0].smoothed - points[minIdx].smoothed >= 0.01 * Math.abs(points[0].smoothed)) {
    for (let i = skip + w; i <= minIdx; i++) {
      const slope = (points[i].smoothed - points[i - w].smoothed) /
        Math.log10(points[i].lr / points[i - w].lr);
      if (slope < best) best = slope, steepest = points[i - Math.floor(w / 2)].lr;
    }
  }
  return { steepest, minOver10 };
}

/**
 * Runs the range test over `step`, which trains one batch at the given rate
 * and returns its loss.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeTest } from "./lr_find.ts";
 * // Gradient descent on (w - 3)^2 diverges once the rate passes 1.
 * let w = 0;
 * const r = await rangeTest(async (lr) => {
 *   const loss = (w - 3) ** 2;
 *   w -= lr * 2 * (w - 3);
 *   return loss;
 * }, { minLr: 1e-3, maxLr: 10, steps: 60 });
 * assert.equal(r.ended, "diverged");
 * assert.ok(r.suggestion.minOver10 < 1);
 * ```
 */
export async function rangeTest(
  step: (lr: number) => Promise<number>,
  o: RangeTestOptions = {},
): Promise<RangeResult> {
  const { minLr = 1e-7, maxLr = 10, steps = 100, smoothing = 0.98, stopFactor = 4 } = o;
  if (!(minLr > 0 && maxLr > minLr && steps >= 2)) {
    throw new Error(
      `Cannot run the learning-rate range test: rates ${minLr}..${maxLr} over ${steps} steps; ` +
        "use 0 < min < max and at least 2 steps",
    );
  }
  const points: RangePoint[] = [];
  const bar = o.label ? new ProgressBar({ label: o.label, total: steps }) : undefined;
  let avg = 0, best = Infinity;
  let ended: RangeResult["ended"] = "steps";
  for (let i = 0; i < steps; i++) {
    const lr = rangeLr(i, steps, minLr, maxLr);
    const loss = await step(lr);
    if (!Number.isFinite(loss)) {
      ended = "non-finite";
      break;
    }
    avg = smoothing * avg + (1 - smoothing) * loss;
    const smoothed = avg / (1 - smoothing ** (i + 1));
    points.push({ lr, loss, smoothed });
    bar?.update(i + 1, { lr, loss: smoothed });
    best = Math.min(best, smoothed);
    if (i > 0 && smoothed > stopFactor * best) {
      ended = "diverged";
      break;
    }
  }
  bar?.finish();
  if (!points.length) {
    throw new Error(
      `Cannot suggest a learning rate: the first step's loss was not finite at rate ${minLr}; ` +
        "lower the starting rate",
    );
  }
  return { points, suggestion: suggestLr(points), ended };
}

/**
 * The test's plot: smoothed loss against the rate (log axis), with the
 * suggestions marked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rangeTestSvg } from "./lr_find.ts";
 * const points = [{ lr: 1e-3, loss: 2, smoothed: 2 }, { lr: 1e-2, loss: 1, smoothed: 1.5 }];
 * const svg = rangeTestSvg("lm", { points, suggestion: { minOver10: 1e-3 }, ended: "steps" });
 * assert.match(svg, /^<svg/);
 * ```
 */
export function rangeTestSvg(title: string, r: RangeResult): string {
  const at = (lr: number): [number, number] => {
    let k = 0;
    r.points.forEach((p, i) => Math.abs(p.lr - lr) < Math.abs(r.points[k].lr - lr) && (k = i));
    return [Math.log10(lr), r.points[k].smoothed];
  };
  const mark = (label: string, color: string, lr: number): Series => ({
    label: `${label} ${lr.toExponential(1)}`,
    color,
    segments: [[at(lr)]],
  });
  return chartFile({
    title,
    xLabel: "learning rate",
    yLabel: "smoothed loss",
    xFormat: (t) => Number.isInteger(t) ? `1e${t}` : "",
    legend: "right",
    series: [
      {
        label: "smoothed loss",
        color: "#1f77b4",
        segments: [r.points.map((p) => [Math.log10(p.lr), p.smoothed])],
      },
      ...(r.suggestion.steepest !== undefined
        ? [mark("steepest", "#d62728", r.suggestion.steepest)]
        : []),
      mark("min/10", "#2ca02c", r.suggestion.minOver10),
    ],
  });
}

/** What the LM and classifier tests need besides the rates. */
export interface ModelRangeOptions extends RangeTestOptions {
  bs: number;
  dropMult: number;
  adam: AdamConfig;
  seed: number;
  /** Lower group's rate = upper × factor, as in training (1: one rate). */
  discriminativeFactor: number;
}

/**
 * The range test on an LM over a token stream (all layers trainable, BPTT
 * windows as in training). The LM's weights are restored afterwards.
 */
export async function lmRangeTest(
  lm: AwdLstm,
  stream: Int32Array,
  o: ModelRangeOptions & { bptt: number; alpha: number; beta: number },
): Promise<RangeResult> {
  const L = lm.config.numLayers;
  const saved = await lm.params.export();
  const rates = discriminativeRates(L + 1, 1, o.discriminativeFactor);
  const rateOf = (name: string) => rates[lmGroupOf(paramName(name), L)];
  const vars = lm.params.trainable();
  const adam = new Adam(lm.ops, o.adam);
  adam.track(vars);
  const rng = new Rng(o.seed);
  const rows = toRows(stream, o.bs);
  let pos = 0;
  let state: LstmState | undefined;
  try {
    return await rangeTest(async (lr) => {
      const seqLen = drawSeqLen(rng, o.bptt, true);
      let b = batchAt(rows, pos, seqLen);
      if (!b) {
        // Past the end of the stream: start over with a fresh state.
        lm.disposeState(state);
        state = undefined;
        b = batchAt(rows, 0, seqLen);
      }
      if (!b) {
        throw new Error(
          `Cannot run the range test: ${stream.length} tokens make no batch of ${o.bs} rows`,
        );
      }
      const r = await lmStep(lm, adam, rng, b, state, vars, lr * b.len / o.bptt, rateOf, o);
      state = r.state;
      pos = b.next;
      return r.loss;
    }, withoutModel(o));
  } finally {
    adam.dispose();
    lm.disposeState(state);
    lm.params.load(saved);
  }
}

/**
 * The range test on a classifier over labelled documents (batches as in
 * training, cycled if the test outlasts them). Weights and BatchNorm
 * statistics are restored afterwards.
 */
export async function classifierRangeTest(
  clf: TextClassifier,
  docs: EncodedDoc[],
  o: ModelRangeOptions & { trainMaxTokens?: number; stepMemoryMB?: number },
): Promise<RangeResult> {
  const L = clf.encoder.config.numLayers;
  const saved = { enc: await clf.encoder.params.export(), head: await clf.head.export() };
  const rates = discriminativeRates(L + 2, 1, o.discriminativeFactor);
  const rateOf = (name: string) => rates[clfGroupOf(paramName(name), L)];
  const vars = clf.trainableVariables();
  const adam = new Adam(clf.ops, o.adam);
  adam.track(vars);
  const rng = new Rng(o.seed);
  const cut = trainingDocs(docs, o.trainMaxTokens);
  const maxSteps = maxDocSteps(clf, o.stepMemoryMB ?? 0);
  let batches: number[][] = [];
  try {
    return await rangeTest(async (lr) => {
      if (!batches.length) batches = sortishBatches(cut.map((d) => d.ids.length), o.bs, rng);
      const batch = batches.pop()!.map((i) => cut[i]);
      const r = await classifierStep(clf, adam, rng, batch, vars, lr, rateOf, o.dropMult, maxSteps);
      return r.loss;
    }, withoutModel(o));
  } finally {
    adam.dispose();
    clf.encoder.params.load(saved.enc);
    clf.head.load(saved.head);
  }
}

function withoutModel(o: RangeTestOptions): RangeTestOptions {
  const { minLr, maxLr, steps, smoothing, stopFactor, label } = o;
  return { minLr, maxLr, steps, smoothing, stopFactor, label };
}
