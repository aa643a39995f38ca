/**
 * Fitting how the LSTM classifiers' averaged probabilities and the bag-of-words model's are
 * combined: the two weights of `softmax(a · log p_lm + b · log p_bow)` (a, b ≥ 0) with the lowest
 * log loss on the validation split, which neither model trained on. A two-feature logistic
 * regression, so the fit also calibrates each model (a bag-of-words model trained on 100
 * documents answers with nearly flat probabilities: its weight comes out well above 1). Log loss
 * rather than accuracy: on a few hundred validation documents accuracy moves in steps and is
 * flat over wide ranges of weights, and the LSTMs' validation accuracy is optimistic (stage 3 kept
 * its best epoch on it), which measured on AG News pushed an accuracy-chosen blend to the LSTMs
 * alone where a log-loss fit gained 1.1 points on the test split (RESULTS.md).
 *
 * @module
 */
import { blendProbabilities, type BlendWeights, safeLog } from "../shared/classify.ts";
import { scoreProbabilities } from "../shared/confusion.ts";

/** The fitted weights and the validation accuracies of each model and of the blend. */
export interface BlendChoice {
  weights: BlendWeights;
  valid: { lm: number; baseline: number; blend: number };
}

function accuracy(probs: readonly Float32Array[], truth: readonly number[]): number {
  return scoreProbabilities(probs, truth, probs[0].length).accuracy;
}

/** Mean log loss of the blend with weights (a, b), from precomputed log-probabilities. */
function logLoss(
  logLm: readonly Float64Array[],
  logBow: readonly Float64Array[],
  truth: readonly number[],
  a: number,
  b: number,
): number {
  let sum = 0;
  for (let i = 0; i < truth.length; i++) {
    const x = logLm[i], y = logBow[i];
    let max = -Infinity;
    for (let c = 0; c < x.length; c++) max = Math.max(max, a * x[c] + b * y[c]);
    let z = 0;
    for (let c = 0; c < x.length; c++) z += Math.exp(a * x[c] + b * y[c] - max);
    sum += max + Math.log(z) - (a * x[truth[i]] + b * y[truth[i]]);
  }
  return sum / truth.length;
}

/** Steps of the coarse-to-fine search: each one a grid of ±`span` around the best so far. */
const SEARCH = [
  { span: 16, step: 1 },
  { span: 1, step: 0.1 },
  { span: 0.1, step: 0.01 },
];

/**
 * The blend weights with the lowest validation log loss, found on ever finer grids (the loss is
 * convex in the weights, so the search closes in on its minimum); weights stay in [0, 32].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseBlendWeights } from "./blend.ts";
 * const f = (...p: number[]) => Float32Array.from(p);
 * // The LSTMs are right and confident on the first two texts, wrong and unsure on the other
 * // two, where the (flat but right) bag of words decides once its weight sharpens it.
 * const lm = [f(0.9, 0.1), f(0.8, 0.2), f(0.55, 0.45), f(0.6, 0.4)];
 * const bow = [f(0.55, 0.45), f(0.52, 0.48), f(0.4, 0.6), f(0.42, 0.58)];
 * const c = chooseBlendWeights(lm, bow, [0, 0, 1, 1]);
 * assert.deepEqual(c.valid, { lm: 0.5, baseline: 1, blend: 1 });
 * assert.ok(c.weights.baseline > 1, JSON.stringify(c.weights));
 * ```
 */
export function chooseBlendWeights(
  lm: readonly Float32Array[],
  bow: readonly Float32Array[],
  truth: readonly number[],
): BlendChoice {
  if (!lm.length || lm.length !== truth.length || bow.length !== truth.length) {
    throw new Error(
      `Cannot fit blend weights: ${lm.length} and ${bow.length} validation predictions for ` +
        `${truth.length} labels; score the validation split with both models`,
    );
  }
  const logs = (ps: readonly Float32Array[]) => ps.map((p) => Float64Array.from(p, safeLog));
  const logLm = logs(lm), logBow = logs(bow);
  let best = { a: 1, b: 0, loss: logLoss(logLm, logBow, truth, 1, 0) };
  for (const { span, step } of SEARCH) {
    const center = best;
    for (let i = -span / step; i <= span / step; i++) {
      for (let j = -span / step; j <= span / step; j++) {
        const a = round(center.a + i * step), b = round(center.b + j * step);
        if (a < 0 || b < 0 || a > 32 || b > 32) continue;
        const loss = logLoss(logLm, logBow, truth, a, b);
        if (loss < best.loss) best = { a, b, loss };
      }
    }
  }
  // Neither model beats a flat guess in log loss: weights (0, 0) would serve flat scores and so
  // always the first label. The finest grid step for each keeps the scores nearly flat, as the
  // fit says they should be, and lets the two models' joint vote pick the label.
  const flat = best.a === 0 && best.b === 0;
  const last = SEARCH[SEARCH.length - 1].step;
  const weights = flat ? { lm: last, baseline: last } : { lm: best.a, baseline: best.b };
  return {
    weights,
    valid: {
      lm: accuracy(lm, truth),
      baseline: accuracy(bow, truth),
      blend: accuracy(blendProbabilities(lm, bow, weights), truth),
    },
  };
}

/** Grid points to 1e-9, so that 0.1 + 0.2 is stored as 0.3. */
function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/**
 * Whether the bag of words serves alone instead of the fitted blend. Two blend weights fitted on
 * a dozen validation documents follow their noise (AG News, 100 labels, 12 validation
 * documents: the LSTMs right on 75% there and 50% on the test split, and the blend fitted there
 * served 3.8 points below the bag of words alone). So when the bag of words has an honest
 * estimate (`bowHeldOut`: its accuracy on documents it never trained on, which the baseline stage
 * computes only when validation is too small to fit weights on) and the LSTMs' validation accuracy
 * is no better, the LSTMs get no weight.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bagOfWordsAlone } from "./blend.ts";
 * assert.equal(bagOfWordsAlone(0.75, 0.85), true);
 * assert.equal(bagOfWordsAlone(0.9, 0.85), false); // the LSTMs may be better: fit
 * assert.equal(bagOfWordsAlone(0.75, undefined), false); // validation large enough to fit on
 * ```
 */
export function bagOfWordsAlone(lmValid: number, bowHeldOut: number | undefined): boolean {
  return bowHeldOut !== undefined && bowHeldOut >= lmValid;
}
